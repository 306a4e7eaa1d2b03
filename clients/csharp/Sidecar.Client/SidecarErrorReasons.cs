using Google.Protobuf.Reflection;
using Sidecar.V1;

namespace Sidecar.Client;

/// <summary>
/// The <c>google.rpc.ErrorInfo.reason</c> values the daemon sends (domain <see cref="Domain"/>), as
/// returned by <see cref="SidecarErrorExtensions.GetErrorReason"/>: the wire names of the contract's
/// <see cref="ErrorReason"/> enum (protos/sidecar/v1/errors.proto, which says when each is sent),
/// read from its descriptor so that they cannot drift from the contract. To switch over a reason,
/// <see cref="SidecarErrorExtensions.GetErrorReasonValue"/> gives the enum value itself.
/// </summary>
public static class SidecarErrorReasons
{
    /// <summary>The ErrorInfo domain of the daemon's errors.</summary>
    public const string Domain = "sidecar";

    /// <summary>INVALID_ARGUMENT: the request is malformed; see the field violations.</summary>
    public static readonly string InvalidRequest = NameOf(ErrorReason.InvalidRequest);

    /// <summary>NOT_FOUND: the daemon has no such key reference.</summary>
    public static readonly string KeyRefNotFound = NameOf(ErrorReason.KeyRefNotFound);

    /// <summary>PERMISSION_DENIED: this caller may not use the key reference.</summary>
    public static readonly string KeyRefForbidden = NameOf(ErrorReason.KeyRefForbidden);

    /// <summary>PERMISSION_DENIED: the key reference may not use this model.</summary>
    public static readonly string ModelNotAllowed = NameOf(ErrorReason.ModelNotAllowed);

    /// <summary>FAILED_PRECONDITION: the daemon cannot read the secret.</summary>
    public static readonly string KeyUnavailable = NameOf(ErrorReason.KeyUnavailable);

    /// <summary>UNAUTHENTICATED: the upstream refused the key.</summary>
    public static readonly string UpstreamAuth = NameOf(ErrorReason.UpstreamAuth);

    /// <summary>INVALID_ARGUMENT or NOT_FOUND: the upstream refused the request.</summary>
    public static readonly string UpstreamRejected = NameOf(ErrorReason.UpstreamRejected);

    /// <summary>RESOURCE_EXHAUSTED: the upstream rate-limits; retry after the retry delay.</summary>
    public static readonly string UpstreamRateLimited = NameOf(ErrorReason.UpstreamRateLimited);

    /// <summary>RESOURCE_EXHAUSTED: a local rate or concurrency limit; retry after the retry delay.</summary>
    public static readonly string LocalLimit = NameOf(ErrorReason.LocalLimit);

    /// <summary>UNAVAILABLE: the upstream failed after the daemon's retries; retry after the retry delay.</summary>
    public static readonly string UpstreamUnavailable = NameOf(ErrorReason.UpstreamUnavailable);

    /// <summary>UNAVAILABLE: the circuit breaker is open; retry after the retry delay.</summary>
    public static readonly string CircuitOpen = NameOf(ErrorReason.CircuitOpen);

    /// <summary>UNAVAILABLE or ABORTED: a stream broke after its first token; the answer is incomplete.</summary>
    public static readonly string UpstreamStreamBroken = NameOf(ErrorReason.UpstreamStreamBroken);

    /// <summary>UNAVAILABLE: the daemon is shutting down; retry after the retry delay (against its replacement).</summary>
    public static readonly string ShuttingDown = NameOf(ErrorReason.ShuttingDown);

    /// <summary>RESOURCE_EXHAUSTED: a limit shared by every sidecar on the same Redis is full; retry after the retry delay.</summary>
    public static readonly string SharedLimit = NameOf(ErrorReason.SharedLimit);

    /// <summary>
    /// RESOURCE_EXHAUSTED: the key reference's daily or monthly token budget is used up. The retry
    /// delay says when the budget resets, which may be hours away: not worth an automatic retry.
    /// </summary>
    public static readonly string BudgetExhausted = NameOf(ErrorReason.BudgetExhausted);

    /// <summary>INTERNAL: the daemon failed unexpectedly; its log has the details.</summary>
    public static readonly string Internal = NameOf(ErrorReason.Internal);

    /// <summary>
    /// UNAVAILABLE: the key reference has shared limits or a budget, the daemon cannot reach Redis, and
    /// its fail mode is <c>closed</c>; retry after the retry delay.
    /// </summary>
    public static readonly string SharedStateUnavailable = NameOf(ErrorReason.SharedStateUnavailable);

    /// <summary>Every reason the daemon may send, in the contract's order (<see cref="ErrorReason.Unspecified"/> is never sent).</summary>
    public static IReadOnlyList<string> All { get; } =
        [.. Descriptor.Values.Where(v => v.Number != 0).OrderBy(v => v.Number).Select(v => v.Name)];

    /// <summary>The wire name of <paramref name="reason"/> (<c>"KEY_REF_NOT_FOUND"</c> for <see cref="ErrorReason.KeyRefNotFound"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is not a value of the contract.</exception>
    public static string NameOf(ErrorReason reason) =>
        Descriptor.FindValueByNumber((int)reason)?.Name
        ?? throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a value of sidecar.v1.ErrorReason.");

    /// <summary>
    /// The enum value of a wire name; <see langword="false"/> for a reason this version of the
    /// client does not know (a newer daemon may send one: act on the status code alone).
    /// </summary>
    public static bool TryParse(string? name, out ErrorReason reason)
    {
        if (name is { Length: > 0 } && Descriptor.FindValueByName(name) is { Number: not 0 } value)
        {
            reason = (ErrorReason)value.Number;
            return true;
        }
        reason = ErrorReason.Unspecified;
        return false;
    }

    // A property, not a field: the fields above are initialised in order and need it first.
    private static EnumDescriptor Descriptor => ErrorsReflection.Descriptor.FindTypeByName<EnumDescriptor>("ErrorReason");
}
