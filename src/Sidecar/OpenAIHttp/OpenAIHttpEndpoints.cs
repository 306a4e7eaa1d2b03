namespace Sidecar.OpenAIHttp;

/// <summary>Maps the OpenAI-compatible door (docs/design.md, README "Use it from an existing OpenAI agent").</summary>
internal static class OpenAIHttpEndpoints
{
    /// <summary>
    /// Plain request delegates (no parameter binding to generate): the handlers read and write JSON
    /// themselves, which keeps the door free of reflection under Native AOT.
    /// </summary>
    public static void MapOpenAIHttp(this IEndpointRouteBuilder app)
    {
        var chat = app.ServiceProvider.GetRequiredService<ChatCompletionsEndpoint>();
        var models = app.ServiceProvider.GetRequiredService<ModelsEndpoint>();
        app.MapPost("/v1/chat/completions", chat.HandleAsync);
        app.MapGet("/v1/models", models.HandleAsync);
    }
}
