using Sidecar.Configuration;

namespace Sidecar.Upstream;

/// <summary>Picks the provider a resolved key names.</summary>
internal sealed class ChatProviders(OpenAIChatProvider openAI, EchoChatProvider echo)
{
    public IChatProvider For(string provider) => provider == Providers.Echo ? echo : openAI;
}
