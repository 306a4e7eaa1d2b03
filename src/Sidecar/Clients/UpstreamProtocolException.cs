namespace Sidecar.Clients;

/// <summary>
/// The upstream answered, but not with something the daemon can use: a body or an SSE event over the
/// configured size, a 200 that is not JSON, carries an <c>error</c> object or has no choice, malformed
/// SSE data. An <see cref="IOException"/> on purpose: like a connection that broke, it is the upstream's
/// failure, retried before a stream's first chunk and counted against the endpoint. The message names
/// the fault only; it never holds the upstream's body.
/// </summary>
internal sealed class UpstreamProtocolException : IOException
{
    public UpstreamProtocolException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The protocol fault in an exception's chain, if any (HttpClient may wrap what a content stream throws).</summary>
    public static UpstreamProtocolException? Find(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 8; depth++, exception = exception.InnerException)
        {
            if (exception is UpstreamProtocolException fault)
            {
                return fault;
            }
        }

        return null;
    }
}
