namespace Sidecar.Clients;

/// <summary>
/// Reads an upstream body and fails with <see cref="UpstreamProtocolException"/> once it passes a bound:
/// the whole body (a response the SDK buffers), or one server-sent event, i.e. the bytes between two blank
/// lines (the SSE parser keeps a whole line, and the data lines of an event, in memory). Line ends follow
/// the SSE grammar: CR, LF or CRLF. The check runs on every read, so at most one read buffer more than
/// the bound is ever held.
/// </summary>
internal sealed class BoundedReadStream : Stream
{
    private readonly Stream _inner;
    private readonly long _maxTotal;
    private readonly long _maxEvent;
    private long _total;
    private long _event;
    private bool _atLineStart = true;
    private bool _afterCr;

    /// <param name="inner">The body as HttpClient gives it.</param>
    /// <param name="maxTotal">Most bytes of the whole body; <see cref="long.MaxValue"/> for none.</param>
    /// <param name="maxEvent">Most bytes of one SSE event; 0 when the body is not read as events.</param>
    public BoundedReadStream(Stream inner, long maxTotal, long maxEvent)
    {
        _inner = inner;
        _maxTotal = maxTotal;
        _maxEvent = maxEvent;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(buffer);
        Account(buffer[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Account(buffer.Span[..read]);
        return read;
    }

    private void Account(ReadOnlySpan<byte> data)
    {
        _total += data.Length;
        if (_total > _maxTotal)
        {
            throw new UpstreamProtocolException($"its response passed the limit of {_maxTotal} bytes (Sidecar:Upstream:MaxResponseBytes)");
        }

        if (_maxEvent > 0)
        {
            CountEventBytes(data);
        }
    }

    private void CountEventBytes(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var end = data.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                AddEventBytes(data.Length);
                return;
            }

            if (end > 0)
            {
                AddEventBytes(end);
            }

            if (data[end] == (byte)'\n' && _afterCr)
            {
                _afterCr = false; // the LF of a CRLF: still the same line end
            }
            else
            {
                if (_atLineStart)
                {
                    _event = 0; // a blank line: the event is complete, the parser lets go of it
                }

                _atLineStart = true;
                _afterCr = data[end] == (byte)'\r';
            }

            data = data[(end + 1)..];
        }
    }

    private void AddEventBytes(int count)
    {
        _atLineStart = false;
        _afterCr = false;
        _event += count;
        if (_event > _maxEvent)
        {
            throw new UpstreamProtocolException($"it sent a server-sent event over the limit of {_maxEvent} bytes (Sidecar:Upstream:MaxEventBytes)");
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => _inner.DisposeAsync();
}
