namespace Sidecar.Errors;

/// <summary>The <c>ErrorInfo.metadata</c> keys agents may read (docs/design.md, "Errors").</summary>
internal static class MetadataNames
{
    public const string KeyRef = "key_ref";
    public const string Model = "model";
    public const string Upstream = "upstream";
    public const string Limit = "limit";
    public const string Circuit = "circuit";
    public const string LastFailure = "last_failure";
    public const string HttpStatus = "http_status";
    public const string RetryAfterMs = "retry_after_ms";
}
