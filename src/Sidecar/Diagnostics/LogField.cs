namespace Sidecar.Diagnostics;

/// <summary>
/// Caps a caller-chosen value (a key_ref, a model name) before it reaches a log line or a span, so one
/// call cannot write megabytes: past <see cref="MaxLength"/> characters the value is cut and says so.
/// </summary>
internal static class LogField
{
    public const int MaxLength = 256;

    public static string Cap(string? value) =>
        value is null || value.Length <= MaxLength
            ? value ?? string.Empty
            : string.Concat(value.AsSpan(0, MaxLength), $"…[cut: {value.Length} chars]");
}
