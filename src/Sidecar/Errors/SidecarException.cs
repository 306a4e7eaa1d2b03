namespace Sidecar.Errors;

/// <summary>
/// A failure with a known meaning. Its message is shown to the caller, so it must never contain a
/// secret: build it from names and codes only.
/// </summary>
internal sealed class SidecarException : Exception
{
    public SidecarException(
        SidecarError error,
        string message,
        TimeSpan? retryAfter = null,
        IReadOnlyList<FieldViolation>? violations = null,
        IReadOnlyDictionary<string, string>? metadata = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        RetryAfter = retryAfter;
        Violations = violations ?? [];
        Metadata = metadata;
    }

    public SidecarError Error { get; }

    /// <summary>How long the caller should wait before retrying; null where retrying does not help.</summary>
    public TimeSpan? RetryAfter { get; }

    public IReadOnlyList<FieldViolation> Violations { get; }

    public IReadOnlyDictionary<string, string>? Metadata { get; }
}
