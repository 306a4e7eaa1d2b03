using System.Runtime.CompilerServices;
using Google.Protobuf;
using Sidecar.Configuration;
using Sidecar.Keys;
using Sidecar.V1;

namespace Sidecar.ResponseCache;

/// <summary>
/// The exact-match response cache (<c>Sidecar:Keys:&lt;key_ref&gt;:Cache:Ttl</c>), consulted after authorization and
/// before routing and limits: a hit reaches no upstream and spends no limit or budget. In a <see cref="ResponseStore"/>:
/// in-process first level, Redis second level when configured, and one upstream call for many identical callers
/// that miss at once (unary calls). Answers are kept as protobuf bytes, without <c>served_by</c>; a hit says
/// <c>served_by.cached</c>. Only requests with temperature 0, or whose metadata says <c>sidecar.cache=on</c>, are
/// cached; <c>sidecar.cache=off</c> keeps any request out (docs/scaling.md, "Response cache").
/// </summary>
internal sealed class CachedResponses(ResponseStore store, LiveOptions options, ResponseCacheMetrics metrics)
{
    public Task<CompleteResponse> CompleteAsync(CompleteRequest request, ResolvedKey key, Func<CancellationToken, Task<CompleteResponse>> call, CancellationToken cancellationToken) =>
        Entry(request, key) is { } entry ? CompleteCachedAsync(entry, request, key, call, cancellationToken) : call(cancellationToken);

    /// <summary>The answer as chunks: replayed from the cache on a hit (<paramref name="hit"/> is told first), else relayed and kept.</summary>
    public IAsyncEnumerable<CompleteChunk> StreamAsync(
        CompleteRequest request,
        ResolvedKey key,
        Func<CancellationToken, IAsyncEnumerable<CompleteChunk>> call,
        Action? hit,
        CancellationToken cancellationToken) =>
        Entry(request, key) is { } entry ? StreamCachedAsync(entry, request, key, call, hit, cancellationToken) : call(cancellationToken);

    private async Task<CompleteResponse> CompleteCachedAsync(
        CacheEntry entry,
        CompleteRequest request,
        ResolvedKey key,
        Func<CancellationToken, Task<CompleteResponse>> call,
        CancellationToken cancellationToken)
    {
        CompleteResponse? fresh = null;
        var (payload, created) = await store.GetOrCreateAsync(
            entry.Key,
            entry.Ttl,
            async token =>
            {
                fresh = await call(token).ConfigureAwait(false);
                return Payload(fresh);
            },
            cancellationToken).ConfigureAwait(false);
        if (created && fresh is not null)
        {
            metrics.Miss(key.KeyRef);
            return fresh;
        }

        metrics.Hit(key.KeyRef);
        var response = CompleteResponse.Parser.ParseFrom(payload);
        response.ServedBy = Cached(key, request);
        return response;
    }

    private async IAsyncEnumerable<CompleteChunk> StreamCachedAsync(
        CacheEntry entry,
        CompleteRequest request,
        ResolvedKey key,
        Func<CancellationToken, IAsyncEnumerable<CompleteChunk>> call,
        Action? hit,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var payload = await store.GetAsync(entry.Key, cancellationToken).ConfigureAwait(false);
        if (payload is { Length: > 0 })
        {
            metrics.Hit(key.KeyRef);
            hit?.Invoke();
            foreach (var chunk in ResponseReplay.Chunks(CompleteResponse.Parser.ParseFrom(payload), Cached(key, request)))
            {
                yield return chunk;
            }

            yield break;
        }

        metrics.Miss(key.KeyRef);
        var assembler = new ResponseAssembler(options.Current.ResponseCache.MaxEntryBytes);
        await foreach (var chunk in call(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            assembler.Add(chunk);
            yield return chunk;
        }

        if (assembler.Response() is { } whole)
        {
            await store.SetAsync(entry.Key, Payload(whole), entry.Ttl).ConfigureAwait(false);
        }
    }

    /// <summary>Where and how long a cacheable request's answer is kept; null when it is not cacheable.</summary>
    private CacheEntry? Entry(CompleteRequest request, ResolvedKey key)
    {
        if (!options.Current.Keys.TryGetValue(key.KeyRef, out var configured) || configured.Cache is not { Ttl: var ttl } || ttl <= TimeSpan.Zero)
        {
            return null;
        }

        var choice = request.Metadata.TryGetValue(OptInMetadata, out var said) ? said : null;
        var wanted = choice == "on" || (choice != "off" && request.HasTemperature && request.Temperature == 0);
        return wanted
            ? new CacheEntry(ResponseCacheKey.For(request, key.KeyRef), ttl)
            : null;
    }

    private static byte[] Payload(CompleteResponse response)
    {
        var stored = response.Clone();
        stored.ServedBy = null;
        return stored.ToByteArray();
    }

    /// <summary>The caller's key ref and model; no target was tried.</summary>
    private static ServedBy Cached(ResolvedKey key, CompleteRequest request) =>
        new() { KeyRef = key.KeyRef, Model = request.Model, Attempts = 0, Cached = true };

    /// <summary>The request metadata entry by which a caller opts in (<c>on</c>) or out (<c>off</c>).</summary>
    public const string OptInMetadata = "sidecar.cache";

    private sealed record CacheEntry(string Key, TimeSpan Ttl);
}
