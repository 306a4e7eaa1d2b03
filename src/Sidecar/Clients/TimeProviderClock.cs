using Microsoft.Extensions.Internal;

namespace Sidecar.Clients;

/// <summary>MemoryCache still takes an <see cref="ISystemClock"/>; this lets it run on our <see cref="TimeProvider"/>,
/// so tests move a fake clock instead of sleeping.</summary>
internal sealed class TimeProviderClock(TimeProvider time) : ISystemClock
{
    public DateTimeOffset UtcNow => time.GetUtcNow();
}
