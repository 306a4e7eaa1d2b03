using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using Sidecar.Configuration;
using Sidecar.Keys;

namespace Sidecar.Clients;

/// <summary>
/// SDK clients on our shared transport. The SDK's own retry is off: our resilience layer decides
/// about retries, and two layers would multiply the attempts.
/// </summary>
internal sealed class OpenAIClientFactory(UpstreamHttpPool pool) : IOpenAIClientFactory
{
    // The SDK insists on a credential; with api-key or no auth, this stands in and never carries the key.
    private const string NoBearer = "unused";

    public OpenAIClient Create(ResolvedKey key)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = key.Endpoint,
            Transport = pool.TransportFor(key.Endpoint),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // The call's deadline (the caller's, or Resilience:DefaultDeadline) bounds every request;
            // a second, SDK-side clock would cut long generations short.
            NetworkTimeout = Timeout.InfiniteTimeSpan,
            UserAgentApplicationId = "sidecar",
        };
        var routing = key.Routing;
        if (routing.Auth != AuthMode.Bearer || routing.Headers.Count > 0)
        {
            clientOptions.AddPolicy(new TargetHeadersPolicy(routing, key.Secret), PipelinePosition.BeforeTransport);
        }

        var bearer = routing.Auth == AuthMode.Bearer ? key.Secret : NoBearer;
        return new OpenAIClient(new ApiKeyCredential(bearer), clientOptions);
    }
}
