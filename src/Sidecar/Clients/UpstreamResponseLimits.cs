using System.Net;
using Sidecar.Configuration;

namespace Sidecar.Clients;

/// <summary>
/// Bounds what the daemon reads from an upstream, below the SDK, which reads responses itself: a body the
/// SDK buffers whole is cut at <see cref="UpstreamOptions.MaxResponseBytes"/>, a server-sent event stream
/// at <see cref="UpstreamOptions.MaxEventBytes"/> per event (a stream is relayed as it comes, never held
/// whole; the call's deadline and the idle timeout bound its length). Past a bound the read fails with
/// <see cref="UpstreamProtocolException"/>.
/// </summary>
internal sealed class UpstreamResponseLimits(UpstreamOptions options) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var events = StreamedResponse.Expected
            && response.StatusCode == HttpStatusCode.OK
            && string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);
        var maxTotal = events ? long.MaxValue : options.MaxResponseBytes;
        if (response.Content.Headers.ContentLength > maxTotal)
        {
            response.Dispose();
            throw new UpstreamProtocolException($"its response announced {response.Content.Headers.ContentLength} bytes, over the limit of {maxTotal} (Sidecar:Upstream:MaxResponseBytes)");
        }

        response.Content = new BoundedContent(response.Content, maxTotal, events ? options.MaxEventBytes : 0);
        return response;
    }

    /// <summary>The upstream's content, read through a <see cref="BoundedReadStream"/>; its headers are kept.</summary>
    private sealed class BoundedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly long _maxTotal;
        private readonly long _maxEvent;

        public BoundedContent(HttpContent inner, long maxTotal, long maxEvent)
        {
            _inner = inner;
            _maxTotal = maxTotal;
            _maxEvent = maxEvent;
            foreach (var header in inner.Headers.NonValidated)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
            new BoundedReadStream(_inner.ReadAsStream(cancellationToken), _maxTotal, _maxEvent);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new BoundedReadStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _maxTotal, _maxEvent);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var bounded = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
            await bounded.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            using var bounded = CreateContentReadStream(cancellationToken);
            bounded.CopyTo(stream);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
