using Microsoft.Extensions.Options;
using Sidecar.Caching;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Keys;

namespace Sidecar.Upstream;

/// <summary>
/// The models a key ref's upstream offers (<c>GET /models</c>), for the OpenAI-compatible door's
/// <c>GET /v1/models</c> when the key ref has no allow-list. Answers are cached for
/// <see cref="Ttl"/> per key ref and secret, in a cache bounded like the client cache, and each list is
/// cut at <see cref="MaxModels"/> entries: neither traffic nor an upstream can grow it.
/// </summary>
internal sealed class ModelCatalog : IDisposable
{
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    public const int MaxModels = 1000;

    private const int MaxIdLength = 256;

    private readonly ClientCache _clients;
    private readonly TimeProvider _time;
    private readonly BoundedCache<IReadOnlyList<ModelEntry>> _cache;

    public ModelCatalog(ClientCache clients, IOptions<SidecarOptions> options, TimeProvider time)
    {
        _clients = clients;
        _time = time;
        _cache = new BoundedCache<IReadOnlyList<ModelEntry>>(time, options.Value.ClientCache.MaxEntries, sliding: null, absolute: Ttl, sweepEvery: Ttl, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<ModelEntry>> ListAsync(ResolvedKey key, CancellationToken cancellationToken)
    {
        if (key.Provider == Providers.Echo)
        {
            return [];
        }

        if (_cache.TryGet(key.CacheKey, out var cached))
        {
            return cached;
        }

        List<ModelEntry> models = [];
        try
        {
            var result = await _clients.GetOrCreate(key).GetOpenAIModelClient().GetModelsAsync(cancellationToken).ConfigureAwait(false);
            foreach (var model in result.Value)
            {
                if (models.Count == MaxModels)
                {
                    break;
                }

                if (model.Id is { Length: > 0 and <= MaxIdLength } id)
                {
                    models.Add(new ModelEntry(id, model.CreatedAt.ToUnixTimeSeconds(), model.OwnedBy ?? string.Empty));
                }
            }
        }
        catch (Exception ex) when (UpstreamErrors.IsUpstreamFailure(ex))
        {
            throw UpstreamErrors.Map(ex, key, _time.GetUtcNow());
        }

        _cache.Set(key.CacheKey, models);
        return models;
    }

    public void Dispose() => _cache.Dispose();
}
