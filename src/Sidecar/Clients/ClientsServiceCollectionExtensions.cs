using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sidecar.Clients;

/// <summary>Registers the upstream clients: the shared connection pool, the client factory and the per-key cache.</summary>
internal static class ClientsServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarClients(this IServiceCollection services)
    {
        services.TryAddSingleton<IOpenAIClientFactory, OpenAIClientFactory>();
        return services.AddSingleton<UpstreamHttpPool>().AddSingleton<ClientCache>();
    }
}
