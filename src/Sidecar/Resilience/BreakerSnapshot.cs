using Polly.CircuitBreaker;

namespace Sidecar.Resilience;

/// <summary>A breaker's state at one moment, for readiness details and the state gauge.</summary>
internal readonly record struct BreakerSnapshot(string Scope, string Name, CircuitState State, string? Endpoint = null)
{
    /// <summary>The readiness detail's name: <c>circuit.&lt;scope&gt;.&lt;id&gt;</c>, one per breaker.</summary>
    public string DetailName => Endpoint is null ? $"circuit.{Scope}.{Name}" : $"circuit.{Scope}.{Endpoint}/{Name}";

    /// <summary>The gauge's value: 0 closed, 1 half-open, 2 open (isolated counts as open).</summary>
    public int Value => State switch
    {
        CircuitState.Closed => 0,
        CircuitState.HalfOpen => 1,
        _ => 2,
    };

    public string StateName => State switch
    {
        CircuitState.Closed => "closed",
        CircuitState.HalfOpen => "half-open",
        CircuitState.Isolated => "isolated",
        _ => "open",
    };
}
