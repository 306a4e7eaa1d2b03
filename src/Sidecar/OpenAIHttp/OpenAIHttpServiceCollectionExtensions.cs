namespace Sidecar.OpenAIHttp;

/// <summary>Registers the OpenAI-compatible door's two endpoints.</summary>
internal static class OpenAIHttpServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarOpenAIHttp(this IServiceCollection services) =>
        services.AddSingleton<ChatCompletionsEndpoint>().AddSingleton<ModelsEndpoint>();
}
