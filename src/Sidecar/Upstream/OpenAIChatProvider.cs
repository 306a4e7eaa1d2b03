using System.Runtime.CompilerServices;
using OpenAI.Chat;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Keys;
using Sidecar.Resilience;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>
/// Any OpenAI-compatible upstream, through the official SDK and our cached clients. Every call first
/// is admitted by <see cref="CallAdmission"/> (local and shared limits; the shared ones count its tokens
/// when it ends), then runs through <see cref="UpstreamResilience"/>
/// (retries, breakers). A stream is retried only until its first chunk: once anything has been relayed
/// to the caller, a failure ends the call with <c>UPSTREAM_STREAM_BROKEN</c> instead.
/// </summary>
internal sealed class OpenAIChatProvider(
    ClientCache clients,
    ChatClientCache chats,
    UpstreamResilience resilience,
    CallAdmission admission,
    LiveOptions options,
    TimeProvider time,
    ILogger<OpenAIChatProvider> logger) : IChatProvider
{
    public async Task<CompleteResponse> CompleteAsync(CompleteRequest request, ResolvedKey key, string model, DateTime deadline, CancellationToken cancellationToken)
    {
        await using var admitted = await admission.AdmitAsync(key, stream: false, cancellationToken).ConfigureAwait(false);
        var chat = chats.For(clients.GetOrCreate(key), model);
        var messages = ChatRequestMapper.Messages(request);
        var chatOptions = ChatRequestMapper.Options(request);
        var response = await resilience.ExecuteAsync(
            key,
            model,
            deadline,
            async token =>
            {
                System.ClientModel.ClientResult<ChatCompletion>? result = null;
                try
                {
                    result = await chat.CompleteChatAsync(messages, chatOptions, token).ConfigureAwait(false);
                    return ChatResponseMapper.Response(result.Value);
                }
                catch (OperationCanceledException ex) when (!token.IsCancellationRequested)
                {
                    // Not the caller: the SDK's own network timeout.
                    throw new UpstreamTimeoutException("the HTTP request timed out", ex);
                }
                catch (Exception ex) when (!token.IsCancellationRequested
                    && (result is null ? UpstreamErrors.IsUnreadableBody(ex) : UpstreamErrors.IsMalformedAnswer(ex)))
                {
                    // A 200 the SDK could not read, or with no choice to map: the upstream's fault, retried like a 502.
                    var fault = UpstreamErrors.UnusableAnswer(result?.GetRawResponse(), key, ex);
                    UpstreamLog.UnusableAnswer(logger, key.Endpoint.Authority, key.KeyRef, fault.Message);
                    throw fault;
                }
                catch (UpstreamProtocolException fault) when (!token.IsCancellationRequested)
                {
                    UpstreamLog.UnusableAnswer(logger, key.Endpoint.Authority, key.KeyRef, fault.Message);
                    throw;
                }
            },
            cancellationToken).ConfigureAwait(false);
        admitted.Used(response.Usage);
        return response;
    }

    public async IAsyncEnumerable<CompleteChunk> StreamAsync(CompleteRequest request, ResolvedKey key, string model, DateTime deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var admitted = await admission.AdmitAsync(key, stream: true, cancellationToken).ConfigureAwait(false);
        var chat = chats.For(clients.GetOrCreate(key), model);
        var messages = ChatRequestMapper.Messages(request);
        var chatOptions = ChatRequestMapper.Options(request);
        var settings = options.Current.Resilience;

        // Retried as a whole, up to and including the first chunk; nothing has reached the caller yet.
        await using var stream = await resilience.ExecuteAsync(
            key,
            model,
            deadline,
            token => UpstreamStream.OpenAsync(chat, messages, chatOptions, settings.FirstTokenTimeout, time, Faults(key), token),
            cancellationToken).ConfigureAwait(false);

        if (stream.First is { } first)
        {
            if (!ChatResponseMapper.IsOversized(first))
            {
                yield return first;
            }
            else
            {
                foreach (var piece in ChatResponseMapper.Split(first))
                {
                    yield return piece;
                }
            }
        }

        while (!stream.Ended)
        {
            CompleteChunk? chunk;
            try
            {
                if (!await stream.NextAsync(settings.StreamIdleTimeout).ConfigureAwait(false))
                {
                    break;
                }

                chunk = stream.Take();
            }
            catch (UpstreamTimeoutException ex)
            {
                throw UpstreamErrors.StreamBroken(ex.Message, key, ex);
            }
            catch (Exception ex) when (UpstreamErrors.IsUpstreamFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                throw UpstreamErrors.StreamBroken(UpstreamErrors.Describe(ex), key, ex);
            }

            if (chunk is null)
            {
                continue;
            }

            // One upstream event may hold more than a gRPC client accepts in one message.
            if (!ChatResponseMapper.IsOversized(chunk))
            {
                yield return chunk;
            }
            else
            {
                foreach (var piece in ChatResponseMapper.Split(chunk))
                {
                    yield return piece;
                }
            }
        }

        // The SDK ends the enumeration quietly when the upstream hangs up early: only a finish
        // reason tells a complete answer from a truncated one.
        if (stream.Finish is null)
        {
            throw UpstreamErrors.StreamBroken("it ended without a finish reason", key);
        }

        var last = new CompleteChunk
        {
            Id = stream.Id ?? string.Empty,
            Model = stream.Model ?? string.Empty,
            FinishReason = ChatResponseMapper.FinishReason(stream.Finish.Value),
            Usage = ChatResponseMapper.Usage(stream.Usage),
        };
        admitted.Used(last.Usage);
        yield return last;
    }

    /// <summary>Logs a protocol fault of this key's upstream: a warning with the fault's words, no stack trace.</summary>
    private Action<UpstreamProtocolException> Faults(ResolvedKey key) =>
        fault => UpstreamLog.UnusableAnswer(logger, key.Endpoint.Authority, key.KeyRef, fault.Message);

    /// <summary>
    /// One upstream stream with its own timer: first the first-token timeout, then, between updates, the
    /// idle timeout (stopped while the caller is being written to). The timer cancels the HTTP request;
    /// when it fires the read throws <see cref="UpstreamTimeoutException"/>, not a cancellation.
    /// </summary>
    private sealed class UpstreamStream : IAsyncDisposable
    {
        private readonly CancellationTokenSource _timer;
        private readonly CancellationTokenSource _linked;
        private readonly CancellationToken _caller;
        private readonly TimeSpan _firstTokenTimeout;
        private readonly Action<UpstreamProtocolException> _onFault;
        private TimeSpan _idleTimeout;
        private IAsyncEnumerator<StreamingChatCompletionUpdate>? _updates;

        private UpstreamStream(TimeSpan firstTokenTimeout, TimeProvider time, Action<UpstreamProtocolException> onFault, CancellationToken caller)
        {
            _firstTokenTimeout = firstTokenTimeout;
            _onFault = onFault;
            _caller = caller;
            _timer = new CancellationTokenSource(firstTokenTimeout, time);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, _timer.Token);
        }

        /// <summary>The first chunk for the caller; null only when the stream ended with none.</summary>
        public CompleteChunk? First { get; private set; }

        public bool Ended { get; private set; }

        public string? Id { get; private set; }

        public string? Model { get; private set; }

        public ChatFinishReason? Finish { get; private set; }

        public ChatTokenUsage? Usage { get; private set; }

        /// <summary>Starts the request and reads up to the first chunk, within the first-token timeout.</summary>
        public static async Task<UpstreamStream> OpenAsync(
            ChatClient chat,
            IList<ChatMessage> messages,
            ChatCompletionOptions options,
            TimeSpan firstTokenTimeout,
            TimeProvider time,
            Action<UpstreamProtocolException> onFault,
            CancellationToken caller)
        {
            var stream = new UpstreamStream(firstTokenTimeout, time, onFault, caller);

            // The request is sent by the first read below, in this async flow: its body is read event by event.
            StreamedResponse.Expect();
            try
            {
                stream._updates = chat.CompleteChatStreamingAsync(messages, options, stream._linked.Token).GetAsyncEnumerator(stream._linked.Token);
                while (true)
                {
                    if (!await stream.ReadAsync().ConfigureAwait(false))
                    {
                        stream.Ended = true;
                        if (stream.Finish is null)
                        {
                            // Nothing reached the caller, so this is a failed attempt like a reset connection: retryable.
                            throw new IOException("the upstream ended the stream before any content");
                        }

                        return stream;
                    }

                    if (stream.Take() is { } chunk)
                    {
                        stream.First = chunk;
                        return stream;
                    }
                }
            }
            catch
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>Reads the next update, allowing <paramref name="idleTimeout"/> of silence.</summary>
        public async ValueTask<bool> NextAsync(TimeSpan idleTimeout)
        {
            _idleTimeout = idleTimeout;
            _timer.CancelAfter(idleTimeout);
            var more = await ReadAsync().ConfigureAwait(false);
            _timer.CancelAfter(Timeout.InfiniteTimeSpan);
            return more;
        }

        /// <summary>Absorbs the current update's id, model, finish reason and usage; returns its chunk, if any.</summary>
        public CompleteChunk? Take()
        {
            var update = _updates!.Current;
            Id ??= update.CompletionId;
            Model ??= update.Model;
            Finish = update.FinishReason ?? Finish;
            Usage = update.Usage ?? Usage;
            return ChatResponseMapper.Chunk(update);
        }

        private async ValueTask<bool> ReadAsync()
        {
            try
            {
                return await _updates!.MoveNextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (_timer.IsCancellationRequested && !_caller.IsCancellationRequested)
            {
                var why = First is null
                    ? $"no first token within {_firstTokenTimeout.TotalSeconds:0.###} s"
                    : $"no data for {_idleTimeout.TotalSeconds:0.###} s";
                throw new UpstreamTimeoutException(why, ex);
            }
            catch (UpstreamProtocolException fault) when (!_caller.IsCancellationRequested)
            {
                _onFault(fault);
                throw;
            }
            catch (Exception ex) when (!_caller.IsCancellationRequested && UpstreamErrors.IsMalformedAnswer(ex))
            {
                // The SDK could not read an event's data: the upstream broke the protocol.
                var fault = new UpstreamProtocolException($"it sent malformed server-sent event data ({UpstreamErrors.What(ex)})", ex);
                _onFault(fault);
                throw fault;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_updates is not null)
            {
                try
                {
                    await _updates.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException || UpstreamErrors.IsUpstreamFailure(ex))
                {
                    // Closing a broken or cancelled response: nothing more to learn from it.
                }
            }

            _linked.Dispose();
            _timer.Dispose();
        }
    }
}
