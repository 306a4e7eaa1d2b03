using Polly;
using Polly.CircuitBreaker;

namespace Sidecar.Resilience;

/// <summary>One circuit breaker: its Polly pipeline and its state.</summary>
internal sealed class Breaker(string scope, string name, string? endpoint, ResiliencePipeline pipeline, CircuitBreakerStateProvider state)
{
    /// <summary><see cref="CircuitBreakers.EndpointScope"/>, <see cref="CircuitBreakers.ModelScope"/> or <see cref="CircuitBreakers.KeyScope"/>.</summary>
    public string Scope { get; } = scope;

    /// <summary>The endpoint's authority, the model's name or the key reference's name.</summary>
    public string Name { get; } = name;

    /// <summary>For a model breaker, the endpoint's authority; otherwise null.</summary>
    public string? Endpoint { get; } = endpoint;

    /// <summary>Names the breaker among all others: <c>&lt;authority&gt;</c>, <c>&lt;authority&gt;/&lt;model&gt;</c> or <c>&lt;key_ref&gt;</c>.</summary>
    public string Id => Endpoint is null ? Name : string.Concat(Endpoint, "/", Name);

    public ResiliencePipeline Pipeline { get; } = pipeline;

    public CircuitState State => state.CircuitState;

    /// <summary>What made it open last, safe to show (an HTTP status or a failure's type).</summary>
    public string? LastFailure { get; set; }

    /// <summary>When its last break ends (set when it opens).</summary>
    public DateTimeOffset BrokenUntil { get; set; }

    /// <summary>
    /// Its state at <paramref name="now"/>. Polly moves an open breaker to half-open only when a call
    /// comes; a breaker whose break has ended lets the next call probe, so it is reported half-open
    /// already, and an idle key's breaker does not show as open (nor trip an alert) until it expires.
    /// </summary>
    public BreakerSnapshot Snapshot(DateTimeOffset now)
    {
        var state = State;
        return new(Scope, Name, state == CircuitState.Open && now >= BrokenUntil ? CircuitState.HalfOpen : state, Endpoint);
    }
}
