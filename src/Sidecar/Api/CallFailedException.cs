using Grpc.Core;
using Sidecar.Errors;

namespace Sidecar.Api;

/// <summary>
/// How a call ended when it did not succeed, already counted and logged by <see cref="CompletionPipeline"/>:
/// the one description each door turns into its own error shape.
/// </summary>
internal sealed class CallFailedException(StatusCode code, string reason, string message, SidecarException? error, Exception? innerException)
    : Exception(message, innerException)
{
    /// <summary>The outcome as a gRPC status code: the code space both doors' metrics and logs share.</summary>
    public StatusCode Code { get; } = code;

    /// <summary>Our reason name (<c>KEY_REF_NOT_FOUND</c>), empty where there is none (deadline, cancel).</summary>
    public string Reason { get; } = reason;

    /// <summary>The known failure, when it is one of ours.</summary>
    public SidecarException? Error { get; } = error;
}
