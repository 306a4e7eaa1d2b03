using Microsoft.Extensions.DependencyInjection.Extensions;
using Sidecar.Resilience;

namespace Sidecar.Upstream;

/// <summary>Registers the providers that call upstreams, and what an upstream failure is.</summary>
internal static class UpstreamServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarUpstream(this IServiceCollection services)
    {
        // Upstream/ knows what an upstream failure is; the resilience layer asks it through its own interface.
        services.TryAddSingleton<IUpstreamFailureClassifier, UpstreamFailures>();
        return services
            .AddSingleton<ChatClientCache>()
            .AddSingleton<ModelCatalog>()
            .AddSingleton<CallAdmission>()
            .AddSingleton<OpenAIChatProvider>()
            .AddSingleton<EchoChatProvider>()
            .AddSingleton<ChatProviders>();
    }
}
