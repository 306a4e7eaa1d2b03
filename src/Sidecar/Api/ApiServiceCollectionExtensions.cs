using Sidecar.Routing;

namespace Sidecar.Api;

/// <summary>Registers the one pipeline every door feeds: validation, the call tracker and the pipeline itself.</summary>
internal static class ApiServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarApi(this IServiceCollection services) =>
        services
            .AddSingleton<IReasonNames, ReasonNames>()
            .AddSingleton<RequestValidator>()
            .AddSingleton<CompletionPipeline>()
            .AddSingleton<CallTracker>();
}
