namespace Sidecar.Resilience;

/// <summary>The limits in force for one key ref: 0 permits or 0 per minute means no such limit.</summary>
internal readonly record struct KeyLimits(int Permits, int Queue, int PerMinute);
