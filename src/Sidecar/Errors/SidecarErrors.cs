using System.Globalization;

namespace Sidecar.Errors;

/// <summary>
/// The errors the daemon raises, each built in one place with the same message shape and
/// <c>ErrorInfo</c> metadata names wherever it is raised (docs/design.md, "Errors").
/// </summary>
internal static class SidecarErrors
{
    // The ErrorInfo.metadata keys agents may read (docs/design.md, "Errors"). Every error about a
    // key_ref names it, and the model or the limit where one is to blame.
    private const string KeyRefName = "key_ref", ModelName = "model", LimitName = "limit";

    // An upstream's failure names the upstream (its authority only), and the HTTP status or the breaker.
    private const string UpstreamName = "upstream", HttpStatusName = "http_status";
    private const string CircuitName = "circuit", LastFailureName = "last_failure";

    // A budget's refusal names the period (day, month) that is used up.
    private const string PeriodName = "period";

    // Under routing, the targets a call tried and why each failed (docs/design.md, "Routing").
    private const string AttemptsName = "attempts";

    /// <summary>
    /// The wait suggested where waiting helps but nothing says how long (an unreachable upstream, a
    /// shutdown, a circuit without a known reopening time): long enough not to spin, short enough that
    /// an agent retrying against another sidecar loses little.
    /// </summary>
    public static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>A request no one field is to blame for; <paramref name="why"/> completes "Invalid request: ".</summary>
    public static SidecarException InvalidRequest(string why) => new(SidecarError.InvalidRequest, $"Invalid request: {why}");

    /// <summary>
    /// A request with bad fields: the message names the first, the details carry
    /// <paramref name="violations"/>; <paramref name="total"/> counts those left out of them.
    /// </summary>
    public static SidecarException InvalidRequest(IReadOnlyList<FieldViolation> violations, int? total = null)
    {
        var first = violations[0];
        var count = total ?? violations.Count;
        var more = count > 1 ? $" (and {count - 1} more)" : string.Empty;
        return new(SidecarError.InvalidRequest, $"Invalid request: {first.Field}: {first.Description}{more}", violations: violations);
    }

    public static SidecarException KeyRefNotFound(string keyRef) => new(
        SidecarError.KeyRefNotFound,
        $"key_ref '{keyRef}' is not configured.",
        metadata: Metadata(keyRef));

    /// <param name="who">The caller as the message names it, such as <c>uid 1000 gid 1000</c>.</param>
    public static SidecarException KeyRefForbidden(string keyRef, string who) => new(
        SidecarError.KeyRefForbidden,
        $"key_ref '{keyRef}' may not be used by {who}.",
        metadata: Metadata(keyRef));

    public static SidecarException ModelNotAllowed(string keyRef, string model) => new(
        SidecarError.ModelNotAllowed,
        $"key_ref '{keyRef}' does not allow model '{model}'.",
        metadata: new Dictionary<string, string> { [KeyRefName] = keyRef, [ModelName] = model });

    public static SidecarException KeyUnavailable(string keyRef) => new(
        SidecarError.KeyUnavailable,
        $"The secret of key_ref '{keyRef}' cannot be read right now; the daemon's log says why.",
        metadata: Metadata(keyRef));

    /// <param name="limit">The limit's name as metrics and <c>ErrorInfo</c> carry it.</param>
    /// <param name="why">What is full, for the message.</param>
    public static SidecarException LocalLimit(string keyRef, string limit, string why, TimeSpan retryAfter) => new(
        SidecarError.LocalLimit,
        $"Refused by the sidecar's own limit: {why}. Retry later.",
        retryAfter: retryAfter,
        metadata: new Dictionary<string, string> { [KeyRefName] = keyRef, [LimitName] = limit });

    /// <param name="limit">The shared limit's name (<c>requests</c>, <c>tokens</c>) as metrics and <c>ErrorInfo</c> carry it.</param>
    /// <param name="why">What the key ref may do, for the message.</param>
    public static SidecarException SharedLimit(string keyRef, string limit, string why, TimeSpan retryAfter) => new(
        SidecarError.SharedLimit,
        $"Refused by a limit shared by every sidecar: key_ref '{keyRef}' may make {why}. Retry later.",
        retryAfter: retryAfter,
        metadata: new Dictionary<string, string> { [KeyRefName] = keyRef, [LimitName] = limit });

    /// <param name="period"><c>day</c> or <c>month</c> (UTC).</param>
    /// <param name="what">Whose budget is used up, for the message.</param>
    public static SidecarException BudgetExhausted(string keyRef, string period, string what, TimeSpan retryAfter) => new(
        SidecarError.BudgetExhausted,
        $"Refused: key_ref '{keyRef}' has used {what}; the budget resets at the start of the next UTC {period}.",
        retryAfter: retryAfter,
        metadata: new Dictionary<string, string> { [KeyRefName] = keyRef, [PeriodName] = period });

    /// <summary>Redis is away and the fail mode is <c>closed</c>: the key ref's shared limits cannot be checked.</summary>
    public static SidecarException SharedStateUnavailable(string keyRef) => new(
        SidecarError.SharedStateUnavailable,
        $"Refused: key_ref '{keyRef}' has shared limits or a budget, Redis cannot be reached, and Sidecar:Redis:FailMode is 'closed'. Retry later.",
        retryAfter: DefaultRetryAfter,
        metadata: new Dictionary<string, string> { [KeyRefName] = keyRef, [LimitName] = "redis" });

    public static SidecarException ShuttingDown(string message) =>
        new(SidecarError.ShuttingDown, message, retryAfter: DefaultRetryAfter);

    /// <summary>
    /// A failure of the upstream behind <paramref name="keyRef"/>: the metadata names the key_ref and
    /// the upstream's authority (never its path or query, which may carry a secret), and the HTTP
    /// status when there was one.
    /// </summary>
    public static SidecarException Upstream(
        SidecarError error,
        string message,
        string keyRef,
        string upstream,
        TimeSpan? retryAfter = null,
        Exception? innerException = null,
        int? httpStatus = null)
    {
        var metadata = UpstreamMetadata(keyRef, upstream);
        if (httpStatus is { } status)
        {
            metadata[HttpStatusName] = status.ToString(CultureInfo.InvariantCulture);
        }

        return new SidecarException(error, message, retryAfter, metadata: metadata, innerException: innerException);
    }

    /// <summary>A breaker refused the call before the upstream saw it.</summary>
    /// <param name="circuit">The breaker's scope: <c>endpoint</c>, <c>model</c> or <c>key_ref</c>.</param>
    /// <param name="model">The model, for a model's breaker.</param>
    /// <param name="lastFailure">What opened it, in words safe to show.</param>
    public static SidecarException CircuitOpen(
        string message,
        string keyRef,
        string upstream,
        string circuit,
        string? model,
        string? lastFailure,
        TimeSpan? retryAfter,
        Exception innerException)
    {
        var metadata = UpstreamMetadata(keyRef, upstream);
        metadata[CircuitName] = circuit;
        if (model is not null)
        {
            metadata[ModelName] = model;
        }

        if (lastFailure is not null)
        {
            metadata[LastFailureName] = lastFailure;
        }

        return new SidecarException(SidecarError.CircuitOpen, message, retryAfter ?? DefaultRetryAfter, metadata: metadata, innerException: innerException);
    }

    /// <summary>
    /// The last target's error when every target of a route failed: its reason, message, wait and
    /// metadata, with <paramref name="attempts"/> (each target and its reason) added.
    /// </summary>
    /// <param name="tried">How many targets were tried or skipped.</param>
    public static SidecarException AfterAttempts(SidecarException last, string attempts, int tried)
    {
        var metadata = last.Metadata is { } own ? new Dictionary<string, string>(own) : [];
        metadata[AttemptsName] = attempts;
        var message = tried <= 1 ? last.Message : $"{last.Message} ({tried} targets tried; ErrorInfo metadata '{AttemptsName}' lists them.)";
        return new SidecarException(last.Error, message, last.RetryAfter, last.Violations, metadata, last);
    }

    /// <summary>A route whose targets all vanished (a reload between planning and calling).</summary>
    public static SidecarException NoTarget(string keyRef) => new(
        SidecarError.UpstreamUnavailable,
        $"key_ref '{keyRef}' has no target to call.",
        DefaultRetryAfter,
        metadata: Metadata(keyRef));

    private static Dictionary<string, string> UpstreamMetadata(string keyRef, string upstream) =>
        new() { [KeyRefName] = keyRef, [UpstreamName] = upstream };

    private static Dictionary<string, string> Metadata(string keyRef) => new() { [KeyRefName] = keyRef };
}
