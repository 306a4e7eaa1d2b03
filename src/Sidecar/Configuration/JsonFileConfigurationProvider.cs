using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Sidecar.Configuration;

/// <summary>
/// Reads a JSON settings file and re-reads it when it changes. Unlike the stock JSON file provider, which
/// replaces the settings with nothing when the file is gone or does not parse on reload (so per-key
/// restrictions silently vanished), a reload that cannot read the file is refused: the previous
/// settings stay and <see cref="ReloadRefused"/> says why (<see cref="LiveOptions"/> logs it).
/// </summary>
internal sealed class JsonFileConfigurationProvider : ConfigurationProvider, IDisposable
{
    // Editors and ConfigMap updates write in steps; the stock provider waits as long before reading.
    private static readonly TimeSpan ReloadDelay = TimeSpan.FromMilliseconds(250);

    private readonly JsonFileConfigurationSource _source;
    private readonly PhysicalFileProvider? _files;
    private readonly IDisposable? _watch;
    private bool _loadedFromFile;

    public JsonFileConfigurationProvider(JsonFileConfigurationSource source)
    {
        _source = source;
        if (source.ReloadOnChange && Path.GetDirectoryName(source.Path) is { Length: > 0 } directory && Directory.Exists(directory))
        {
            _files = new PhysicalFileProvider(directory);
            var name = Path.GetFileName(source.Path);
            _watch = ChangeToken.OnChange(() => _files.Watch(name), Reload);
        }
    }

    /// <summary>Raised when a change to the file could not be read; the text names the file and the problem.</summary>
    public event Action<string>? ReloadRefused;

    /// <summary>The first read, at start.</summary>
    /// <exception cref="InvalidDataException">The file is required and missing, or is not valid JSON settings.</exception>
    public override void Load()
    {
        if (!File.Exists(_source.Path))
        {
            if (!_source.Optional)
            {
                throw new InvalidDataException($"{_source.Path}: no such file.");
            }

            Data = NewData();
            return;
        }

        Data = Read();
        _loadedFromFile = true;
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _files?.Dispose();
    }

    private void Reload()
    {
        Thread.Sleep(ReloadDelay);
        if (!File.Exists(_source.Path))
        {
            if (_loadedFromFile)
            {
                ReloadRefused?.Invoke($"{_source.Path} is gone; its settings stay as they were until it is back.");
            }

            return;
        }

        IDictionary<string, string?> next;
        try
        {
            next = Read();
        }
        catch (InvalidDataException ex)
        {
            ReloadRefused?.Invoke(ex.Message);
            return;
        }

        Data = next;
        _loadedFromFile = true;
        OnReload();
    }

    private Dictionary<string, string?> Read()
    {
        try
        {
            using var stream = new FileStream(_source.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var parsed = new ConfigurationBuilder().AddJsonStream(stream).Build();
            var data = NewData();
            foreach (var (key, value) in parsed.AsEnumerable())
            {
                if (value is not null)
                {
                    data[key] = value;
                }
            }

            return data;
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or IOException or UnauthorizedAccessException)
        {
            // JSON errors say where (line, position), never what the file holds.
            throw new InvalidDataException($"{_source.Path} could not be read as JSON settings: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, string?> NewData() => new(StringComparer.OrdinalIgnoreCase);
}
