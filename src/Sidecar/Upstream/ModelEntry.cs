namespace Sidecar.Upstream;

/// <summary>One model of a key ref, as <c>GET /v1/models</c> lists it.</summary>
internal sealed record ModelEntry(string Id, long Created, string OwnedBy);
