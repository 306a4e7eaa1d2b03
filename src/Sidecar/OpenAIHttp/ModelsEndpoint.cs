using System.Text.Json;
using Sidecar.Api;
using Sidecar.Configuration;
using Sidecar.Errors;
using Sidecar.Keys;
using Sidecar.Routing;
using Sidecar.Upstream;

namespace Sidecar.OpenAIHttp;

/// <summary>
/// <c>GET /v1/models</c>: the models the key_ref (the bearer token) may use: its allow-list when it has
/// one, else its upstream's list (<see cref="ModelCatalog"/>, cached) with the aliases of that target's
/// <c>ModelMap</c>. The key is resolved and the caller authorized exactly as for a completion.
/// </summary>
internal sealed class ModelsEndpoint(KeyResolver keys, RoutePlans plans, ModelCatalog catalog, TimeProvider time)
{
    public async Task HandleAsync(HttpContext context)
    {
        var keyRef = OpenAIHttpRequest.BearerToken(context.Request);
        if (keyRef is null)
        {
            await OpenAIHttpResponse.WriteMissingKeyRefAsync(context).ConfigureAwait(false);
            return;
        }

        IReadOnlyList<ModelEntry> models;
        try
        {
            if (!KeyRefName.IsValid(keyRef))
            {
                throw SidecarErrors.InvalidRequest([new("key_ref", $"must match {KeyRefName.Pattern}")]);
            }

            var key = keys.Resolve(keyRef);
            CallerAuthorizer.Authorize(key, PeerCredentials.Of(context));
            if (key.Models is { } allowed)
            {
                var created = time.GetUtcNow().ToUnixTimeSeconds();
                models = allowed.Order(StringComparer.Ordinal).Select(m => new ModelEntry(m, created, "sidecar")).ToList();
            }
            else
            {
                // A pool has no upstream of its own: its first target's list stands for it.
                var first = plans.For(key.KeyRef).Groups[0].Members[0].KeyRef;
                var listed = string.Equals(first, key.KeyRef, StringComparison.Ordinal) ? key : keys.Resolve(first);
                models = WithAliases(await catalog.ListAsync(listed, context.RequestAborted).ConfigureAwait(false), listed.Routing.ModelMap);
            }
        }
        catch (SidecarException error)
        {
            await OpenAIHttpResponse.WriteErrorAsync(context, error).ConfigureAwait(false);
            return;
        }

        await OpenAIHttpResponse.WriteOkAsync(context, models, WriteList).ConfigureAwait(false);
    }

    // An alias is a name agents may send (the target maps it to its upstream's), so it is listed beside the
    // upstream's own names; configuration bounds how many there are.
    private IReadOnlyList<ModelEntry> WithAliases(IReadOnlyList<ModelEntry> listed, IReadOnlyDictionary<string, string>? aliases)
    {
        if (aliases is null || aliases.Count == 0)
        {
            return listed;
        }

        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var known = listed.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        return [.. listed, .. aliases.Keys.Where(a => !known.Contains(a)).Order(StringComparer.Ordinal).Select(a => new ModelEntry(a, created, "sidecar"))];
    }

    private static void WriteList(Utf8JsonWriter json, IReadOnlyList<ModelEntry> models)
    {
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var model in models)
        {
            json.WriteStartObject();
            json.WriteString("id", model.Id);
            json.WriteString("object", "model");
            json.WriteNumber("created", model.Created);
            json.WriteString("owned_by", model.OwnedBy);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
