using System.Runtime.CompilerServices;
using OpenAI.Chat;
using Sidecar.Clients;
using Sidecar.Diagnostics;
using Sidecar.Keys;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>Any OpenAI-compatible upstream, through the official SDK and our cached clients.</summary>
internal sealed class OpenAIChatProvider(ClientCache clients, SidecarMetrics metrics) : IChatProvider
{
    public async Task<CompleteResponse> CompleteAsync(CompleteRequest request, ResolvedKey key, CancellationToken cancellationToken)
    {
        var chat = clients.GetOrCreate(key).GetChatClient(request.Model);
        var messages = ChatRequestMapper.Messages(request);
        var options = ChatRequestMapper.Options(request);
        metrics.UpstreamAttempt(retry: false);
        try
        {
            var result = await chat.CompleteChatAsync(messages, options, cancellationToken).ConfigureAwait(false);
            return ChatResponseMapper.Response(result.Value);
        }
        catch (Exception ex) when (UpstreamErrors.IsUpstreamFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw UpstreamErrors.Map(ex, key);
        }
    }

    public async IAsyncEnumerable<CompleteChunk> StreamAsync(
        CompleteRequest request,
        ResolvedKey key,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chat = clients.GetOrCreate(key).GetChatClient(request.Model);
        var messages = ChatRequestMapper.Messages(request);
        var options = ChatRequestMapper.Options(request);
        metrics.UpstreamAttempt(retry: false);

        var updates = chat.CompleteChatStreamingAsync(messages, options, cancellationToken);
        await using var enumerator = updates.GetAsyncEnumerator(cancellationToken);
        var started = false;
        string? id = null;
        string? model = null;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        while (true)
        {
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    break;
                }
            }
            catch (Exception ex) when (UpstreamErrors.IsUpstreamFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                throw started ? UpstreamErrors.StreamBroken(ex.GetType().Name, key, ex) : UpstreamErrors.Map(ex, key);
            }

            var update = enumerator.Current;
            id ??= update.CompletionId;
            model ??= update.Model;
            finish = update.FinishReason ?? finish;
            usage = update.Usage ?? usage;
            if (ChatResponseMapper.Chunk(update) is { } chunk)
            {
                started = true;
                yield return chunk;
            }
        }

        // The SDK ends the enumeration quietly when the upstream hangs up early: only a finish
        // reason tells a complete answer from a truncated one.
        if (finish is null)
        {
            throw UpstreamErrors.StreamBroken("it ended without a finish reason", key);
        }

        yield return new CompleteChunk
        {
            Id = id ?? string.Empty,
            Model = model ?? string.Empty,
            FinishReason = ChatResponseMapper.FinishReason(finish.Value),
            Usage = ChatResponseMapper.Usage(usage),
        };
    }
}
