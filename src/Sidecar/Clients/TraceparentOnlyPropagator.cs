using System.Diagnostics;

namespace Sidecar.Clients;

/// <summary>
/// What upstream requests carry of the trace: a W3C <c>traceparent</c> naming the daemon's own span, and
/// nothing else. The default propagator would also forward the caller's <c>tracestate</c> and
/// <c>baggage</c>, which are the caller's business (baggage such as <c>user.email=…</c> is common) and no
/// provider's; <see cref="Configuration.UpstreamOptions.ForwardTraceStateAndBaggage"/> restores them.
/// </summary>
internal sealed class TraceparentOnlyPropagator : DistributedContextPropagator
{
    private const string TraceParent = "traceparent";

    public static readonly TraceparentOnlyPropagator Instance = new();

    private static readonly string[] Injected = [TraceParent];

    private TraceparentOnlyPropagator()
    {
    }

    public override IReadOnlyCollection<string> Fields => Injected;

    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter)
    {
        if (activity is { IdFormat: ActivityIdFormat.W3C, Id: { } id } && setter is not null)
        {
            setter(carrier, TraceParent, id);
        }
    }

    // Only used on outgoing requests, where nothing is extracted.
    public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState)
    {
        traceId = null;
        traceState = null;
    }

    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;
}
