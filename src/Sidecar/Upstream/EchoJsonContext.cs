using System.Text.Json.Serialization;

namespace Sidecar.Upstream;

/// <summary>Source-generated JSON for the echo provider's tool-call arguments (no reflection: the daemon ships as Native AOT).</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class EchoJsonContext : JsonSerializerContext;
