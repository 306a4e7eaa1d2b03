using Sidecar.Errors;

namespace Sidecar.OpenAIHttp;

/// <summary>
/// How one of our errors looks on the OpenAI-compatible door: the HTTP status and the
/// <c>error.type</c> / <c>error.code</c> the official SDKs turn into their own exception types
/// (400 BadRequestError, 401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError,
/// 429 RateLimitError, 5xx InternalServerError). The reason name travels in <c>X-Sidecar-Reason</c>.
/// </summary>
internal readonly record struct OpenAIErrorShape(int Status, string Type, string Code)
{
    public static OpenAIErrorShape Of(SidecarError error) => error switch
    {
        SidecarError.InvalidRequest => new(400, "invalid_request_error", "invalid_request"),
        SidecarError.KeyRefNotFound => new(404, "invalid_request_error", "key_ref_not_found"),
        SidecarError.KeyRefForbidden => new(403, "permission_error", "key_ref_forbidden"),
        SidecarError.ModelNotAllowed => new(403, "permission_error", "model_not_allowed"),
        SidecarError.KeyUnavailable => new(503, "server_error", "key_unavailable"),
        // The key behind the key_ref was refused: the SDKs' AuthenticationError says what to fix.
        SidecarError.UpstreamAuth => new(401, "authentication_error", "upstream_auth"),
        SidecarError.UpstreamRejected => new(400, "invalid_request_error", "upstream_rejected"),
        SidecarError.UpstreamNotFound => new(404, "invalid_request_error", "upstream_rejected"),
        SidecarError.UpstreamRateLimited => new(429, "rate_limit_error", "upstream_rate_limited"),
        SidecarError.LocalLimit => new(429, "rate_limit_error", "local_limit"),
        SidecarError.UpstreamUnavailable => new(503, "server_error", "upstream_unavailable"),
        SidecarError.CircuitOpen => new(503, "server_error", "circuit_open"),
        SidecarError.UpstreamStreamBroken => new(502, "server_error", "upstream_stream_broken"),
        SidecarError.ShuttingDown => new(503, "server_error", "shutting_down"),
        SidecarError.SharedLimit => new(429, "rate_limit_error", "shared_limit"),
        SidecarError.BudgetExhausted => new(429, "rate_limit_error", "budget_exhausted"),
        SidecarError.SharedStateUnavailable => new(503, "server_error", "shared_state_unavailable"),
        _ => new(500, "server_error", "internal"),
    };

    /// <summary>No bearer token: the SDKs raise AuthenticationError.</summary>
    public static OpenAIErrorShape MissingKeyRef { get; } = new(401, "authentication_error", "missing_key_ref");

    public static OpenAIErrorShape DeadlineExceeded { get; } = new(504, "server_error", "deadline_exceeded");

    public static OpenAIErrorShape Internal { get; } = new(500, "server_error", "internal");
}
