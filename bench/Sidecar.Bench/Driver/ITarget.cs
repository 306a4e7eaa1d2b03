namespace Sidecar.Bench.Driver;

/// <summary>A way to reach the upstream: through the sidecar, or directly with the OpenAI SDK.</summary>
internal interface ITarget
{
    string Name { get; }

    Task<UnarySample> UnaryAsync(string model, CancellationToken cancellationToken);

    Task<StreamSample> StreamAsync(string model, int expectedChunks, CancellationToken cancellationToken);

    /// <summary>Starts a call the upstream never finishes, cancels it once the upstream has it, and
    /// returns the cancel's timestamp (the upstream reports when it saw the connection close).</summary>
    Task<long> StartAndCancelAsync(string model, bool stream, Func<Task> whenUpstreamHasIt, CancellationToken cancellationToken);
}
