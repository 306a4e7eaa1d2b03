namespace Sidecar.Configuration;

/// <summary>Checks <c>Sidecar:ResponseCache</c>, the cache's memory bounds.</summary>
internal sealed class ResponseCacheOptionsValidator : IOptionsValidator
{
    public void Validate(SidecarOptions options, string path, OptionsProblems problems)
    {
        var store = options.ResponseCache;
        if (store.MaxBytes is < 1024 * 1024 or > 64L * 1024 * 1024 * 1024)
        {
            problems.Add($"{path}:ResponseCache:MaxBytes must be between 1 MiB and 64 GiB (got {store.MaxBytes}).");
        }

        if (store.MaxEntryBytes < 1024 || store.MaxEntryBytes > store.MaxBytes)
        {
            problems.Add($"{path}:ResponseCache:MaxEntryBytes must be between 1 KiB and MaxBytes (got {store.MaxEntryBytes}).");
        }
    }
}
