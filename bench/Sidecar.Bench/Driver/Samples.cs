namespace Sidecar.Bench.Driver;

/// <summary>A call's outcome: null error means it came back complete and right.</summary>
internal interface ISample<TSelf>
    where TSelf : ISample<TSelf>
{
    string? Error { get; }

    static abstract TSelf Failed(string error);
}

/// <summary>One unary call: how long it took, and whether it came back complete and right.</summary>
internal readonly record struct UnarySample(double LatencyUs, string? Error) : ISample<UnarySample>
{
    public bool Ok => Error is null;

    public static UnarySample Failed(string error) => new(double.NaN, error);
}

/// <summary>
/// One streamed call. Times are from the call's start; <see cref="RelayUs"/> has, per content chunk,
/// the time from the upstream writing it to the driver reading it (both on the same monotonic clock).
/// </summary>
internal sealed record StreamSample(double TtftUs, double TtltUs, double[] RelayUs, int Chunks, string? Error) : ISample<StreamSample>
{
    public bool Ok => Error is null;

    public static StreamSample Failed(string error) => new(double.NaN, double.NaN, [], 0, error);
}
