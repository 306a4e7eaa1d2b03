namespace Sidecar.Resilience;

/// <summary>Which breaker an upstream failure counts against.</summary>
internal enum FailureScope
{
    /// <summary>Not a failure of the upstream or the key (a bad request, a cancellation): no breaker counts it.</summary>
    None,

    /// <summary>The endpoint cannot be reached: no HTTP answer at all (refused, reset, broken connection).</summary>
    Endpoint,

    /// <summary>The endpoint answered, but this model fails there: 5xx, 408, an unusable answer, no answer or first token in time.
    /// Other models on the endpoint may be fine.</summary>
    Model,

    /// <summary>This key is refused or rate limited (401, 403, 429); other keys on the endpoint may be fine.</summary>
    Key,
}
