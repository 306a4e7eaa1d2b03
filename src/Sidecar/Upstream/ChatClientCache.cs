using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using OpenAI;
using OpenAI.Chat;

namespace Sidecar.Upstream;

/// <summary>
/// The SDK's <see cref="ChatClient"/> per (client, model), kept with the client: without it every call
/// builds a new one (<c>GetChatClient</c>: about 0.4 µs and 100 B). The entries hang off their
/// <see cref="OpenAIClient"/> in a <see cref="ConditionalWeakTable{TKey, TValue}"/>, so a client the
/// cache evicts takes its chat clients with it. The model name comes from the caller, so at most
/// <see cref="MaxModelsPerClient"/> models are kept per client; a caller cycling through more gets a
/// fresh chat client per call for the others, as before.
/// </summary>
internal sealed class ChatClientCache
{
    internal const int MaxModelsPerClient = 16;

    private readonly ConditionalWeakTable<OpenAIClient, ConcurrentDictionary<string, ChatClient>> _byClient = new();

    public ChatClient For(OpenAIClient client, string model)
    {
        var models = _byClient.GetValue(client, static _ => new ConcurrentDictionary<string, ChatClient>(StringComparer.Ordinal));
        if (models.TryGetValue(model, out var chat))
        {
            return chat;
        }

        chat = client.GetChatClient(model);
        // Racing first calls may both pass the check: the bound is exceeded by at most the callers racing.
        if (models.Count < MaxModelsPerClient)
        {
            return models.GetOrAdd(model, chat);
        }

        return chat;
    }
}
