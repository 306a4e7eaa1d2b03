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

    public BreakerSnapshot Snapshot() => new(Scope, Name, State, Endpoint);
}
