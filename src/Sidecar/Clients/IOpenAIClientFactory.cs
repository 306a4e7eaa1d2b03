using OpenAI;
using Sidecar.Keys;

namespace Sidecar.Clients;

/// <summary>Builds the SDK client for one resolved key; the cache decides when.</summary>
internal interface IOpenAIClientFactory
{
    OpenAIClient Create(ResolvedKey key);
}
