using System.ClientModel.Primitives;
using Sidecar.Configuration;
using Sidecar.Keys;

namespace Sidecar.Clients;

/// <summary>
/// Puts a target's key where its upstream expects it and adds its extra headers, last before the
/// transport (after the SDK's own bearer policy): <c>api-key</c> replaces <c>Authorization</c>, as Azure
/// OpenAI expects; <c>none</c> removes it, for local servers. Only added to clients that need it.
/// </summary>
internal sealed class TargetHeadersPolicy(KeyRouting routing, string secret) : PipelinePolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Apply(message.Request);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Apply(message.Request);
        return ProcessNextAsync(message, pipeline, currentIndex);
    }

    private void Apply(PipelineRequest request)
    {
        switch (routing.Auth)
        {
            case AuthMode.ApiKey:
                request.Headers.Remove("Authorization");
                request.Headers.Set("api-key", secret);
                break;
            case AuthMode.None:
                request.Headers.Remove("Authorization");
                break;
        }

        foreach (var (name, value) in routing.Headers)
        {
            request.Headers.Set(name, value);
        }
    }
}
