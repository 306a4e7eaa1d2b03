using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Sidecar.V1;

namespace Sidecar.Client.AI;

/// <summary>
/// The sidecar as a Microsoft.Extensions.AI <see cref="IChatClient"/>: answers, streams, function
/// calls (so <c>UseFunctionInvocation()</c> runs tool loops), usage and finish reasons; who answered
/// (served_by) is in <c>AdditionalProperties</c> under <see cref="SidecarChatResponseKeys.ServedBy"/>
/// (<see cref="SidecarChatResponseExtensions.GetServedBy"/> reads it).
/// <see cref="ChatOptions.ModelId"/> picks the model (else the client's default);
/// <see cref="SidecarChatOptionKeys"/> lists the <see cref="ChatOptions.AdditionalProperties"/> it
/// reads (the key reference among them). Errors are the daemon's <c>RpcException</c>s; options the
/// contract cannot carry throw <see cref="NotSupportedException"/> instead of being dropped.
/// </summary>
/// <example>
/// <code>
/// using var sidecar = SidecarClient.Create(new SidecarClientOptions { KeyRef = "team-a", Model = "gpt-4o-mini" });
/// IChatClient chat = new ChatClientBuilder(new SidecarChatClient(sidecar)).UseFunctionInvocation().Build();
/// var answer = await chat.GetResponseAsync("What is the weather in Paris?", new ChatOptions { Tools = [AIFunctionFactory.Create(GetWeather)] });
/// </code>
/// </example>
public sealed class SidecarChatClient : IChatClient
{
    private readonly SidecarClient _client;
    private readonly ChatClientMetadata _metadata;

    /// <summary>A chat client over <paramref name="client"/>, which it does not dispose.</summary>
    public SidecarChatClient(SidecarClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        // A relative or unusual socket path may make no URI; the metadata then names none.
        var socket = Uri.TryCreate("unix://" + client.Channel.SocketPath, UriKind.Absolute, out var uri) ? uri : null;
        _metadata = new ChatClientMetadata("sidecar", socket, client.Model);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = ChatRequestMapper.ToRequest(this, messages, options);
        var response = await _client.CompleteAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ChatResponseMapper.ToChatResponse(response);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = ChatRequestMapper.ToRequest(this, messages, options);
        var accumulator = new StreamAccumulator();
        await foreach (var chunk in _client.StreamCompleteAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            accumulator.Add(chunk);
            var update = new ChatResponseUpdate(ChatRole.Assistant, [])
            {
                ResponseId = chunk.Id,
                MessageId = chunk.Id,
                ModelId = chunk.Model,
                RawRepresentation = chunk,
            };
            if (chunk.ContentDelta.Length > 0)
            {
                update.Contents.Add(new TextContent(chunk.ContentDelta));
            }
            if (accumulator.IsFinished)
            {
                // Function calls are handed over whole, once their arguments are complete.
                foreach (var call in accumulator.ToolCalls())
                {
                    update.Contents.Add(ChatResponseMapper.ToFunctionCall(call));
                }
                update.FinishReason = ChatResponseMapper.ToFinishReason(chunk.FinishReason);
                if (ChatResponseMapper.ToUsage(chunk.Usage) is { } usage)
                {
                    update.Contents.Add(new UsageContent(usage));
                }
                update.AdditionalProperties = ChatResponseMapper.ToAdditionalProperties(chunk.ServedBy);
            }
            if (update.Contents.Count > 0 || update.FinishReason is not null)
            {
                yield return update;
            }
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }
        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }
        if (serviceType.IsInstanceOfType(_client))
        {
            return _client;
        }
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the <see cref="SidecarClient"/> belongs to whoever created it.</summary>
    public void Dispose()
    {
    }
}
