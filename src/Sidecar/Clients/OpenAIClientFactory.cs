using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.Options;
using OpenAI;
using Sidecar.Configuration;
using Sidecar.Keys;

namespace Sidecar.Clients;

/// <summary>
/// SDK clients on our shared transport. The SDK's own retry is off: our resilience layer decides
/// about retries, and two layers would multiply the attempts.
/// </summary>
internal sealed class OpenAIClientFactory(UpstreamHttpPool pool, IOptions<SidecarOptions> options) : IOpenAIClientFactory
{
    private readonly TimeSpan _networkTimeout = options.Value.Upstream.RequestTimeout;

    public OpenAIClient Create(ResolvedKey key)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = key.Endpoint,
            Transport = pool.TransportFor(key.Endpoint),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = _networkTimeout,
            UserAgentApplicationId = "sidecar",
        };
        return new OpenAIClient(new ApiKeyCredential(key.Secret), clientOptions);
    }
}
