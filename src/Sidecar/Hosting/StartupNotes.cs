namespace Sidecar.Hosting;

/// <summary>Facts from before the logger existed, logged once the daemon has started.</summary>
internal sealed record StartupNotes(bool StaleSocketRemoved);
