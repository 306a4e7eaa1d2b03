using System.Collections.Frozen;
using Sidecar.Configuration;

namespace Sidecar.Routing;

/// <summary>
/// The <see cref="RoutePlan"/> of every configured key ref, built once per configuration (at start and on
/// each accepted reload), so a call only looks its plan up. A keys-directory key ref has no routing
/// settings: its plan is its own target. Pool members and fallbacks are configured key refs only
/// (checked by <see cref="RoutingValidation"/>), so plans, members and their counters are bounded by the
/// configuration, never by traffic.
/// </summary>
internal sealed class RoutePlans : IDisposable
{
    private static readonly FrozenSet<string> DefaultFallbackOn = RoutingValidation.DefaultFallbackOn.ToFrozenSet(StringComparer.Ordinal);

    private readonly LiveOptions _options;
    private FrozenDictionary<string, RoutePlan> _plans;

    public RoutePlans(LiveOptions options)
    {
        _options = options;
        _plans = Build(options.Current);
        options.Changed += OnChanged;
    }

    /// <summary>The plan of a resolved key ref (its canonical name).</summary>
    public RoutePlan For(string keyRef) =>
        Volatile.Read(ref _plans).TryGetValue(keyRef, out var plan)
            ? plan
            : new RoutePlan([new RouteGroup(keyRef, [new RouteMember(keyRef)], DefaultFallbackOn, isPool: false)]);

    private void OnChanged(SidecarOptions options) => Volatile.Write(ref _plans, Build(options));

    internal static FrozenDictionary<string, RoutePlan> Build(SidecarOptions options)
    {
        var keys = options.Keys;
        var canonical = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in keys.Keys)
        {
            canonical[name] = name;
        }

        var members = canonical.Values.ToDictionary(n => n, n => new RouteMember(n), StringComparer.OrdinalIgnoreCase);
        var plans = new Dictionary<string, RoutePlan>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in canonical.Values)
        {
            plans[name] = PlanOf(name, keys, canonical, members);
        }

        return plans.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private static RoutePlan PlanOf(string start, Dictionary<string, KeyRefOptions> keys, Dictionary<string, string> canonical, Dictionary<string, RouteMember> members)
    {
        var groups = new List<RouteGroup>();
        var visited = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Add(start);
        return new RoutePlan(groups);

        void Add(string name)
        {
            if (!canonical.TryGetValue(name, out var keyRef) || !visited.Add(keyRef))
            {
                return;
            }

            var key = keys[keyRef];
            var fallbackOn = key.FallbackOn.Count > 0 ? key.FallbackOn.ToFrozenSet(StringComparer.Ordinal) : DefaultFallbackOn;
            if (key.Pool.Count > 0)
            {
                // A member already tried earlier in the plan is not tried twice.
                var pool = key.Pool
                    .Select(m => canonical.TryGetValue(m, out var c) ? c : null)
                    .OfType<string>()
                    .Where(used.Add)
                    .Select(m => members[m])
                    .ToArray();
                if (pool.Length > 0)
                {
                    groups.Add(new RouteGroup(keyRef, pool, fallbackOn, isPool: true));
                }
            }
            else if (used.Add(keyRef))
            {
                groups.Add(new RouteGroup(keyRef, [members[keyRef]], fallbackOn, isPool: false));
            }

            foreach (var fallback in key.Fallbacks)
            {
                Add(fallback);
            }
        }
    }

    public void Dispose() => _options.Changed -= OnChanged;
}
