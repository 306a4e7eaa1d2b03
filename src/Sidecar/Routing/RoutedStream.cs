using Sidecar.V1;

namespace Sidecar.Routing;

/// <summary>
/// A stream the router committed to: its first chunk is already read (which is what committed it), and the
/// target that answered is known. Enumerating yields that chunk first, then the rest; disposing ends the
/// upstream stream and the target's count of calls in flight.
/// </summary>
internal sealed class RoutedStream(IAsyncEnumerator<CompleteChunk> chunks, bool hasFirst, ServedBy servedBy, IDisposable? lease) : IAsyncEnumerator<CompleteChunk>
{
    private bool _pending = true;

    /// <summary>The target that answered, the upstream model and the attempts it took.</summary>
    public ServedBy ServedBy { get; } = servedBy;

    public CompleteChunk Current => chunks.Current;

    public ValueTask<bool> MoveNextAsync()
    {
        if (_pending)
        {
            _pending = false;
            return ValueTask.FromResult(hasFirst);
        }

        return chunks.MoveNextAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await chunks.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            lease?.Dispose();
        }
    }
}
