namespace Sidecar.Routing;

/// <summary>Registers routing: the plans read from the key refs, and the router that walks them.</summary>
internal static class RoutingServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarRouting(this IServiceCollection services) =>
        services.AddSingleton<RoutePlans>().AddSingleton<Router>();
}
