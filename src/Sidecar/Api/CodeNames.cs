using Grpc.Core;

namespace Sidecar.Api;

/// <summary>Status code names as gRPC spells them (<c>RESOURCE_EXHAUSTED</c>), for logs and metric labels.</summary>
internal static class CodeNames
{
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    public static string Of(StatusCode code) => (int)code >= 0 && (int)code < Names.Length ? Names[(int)code] : "UNKNOWN";
}
