namespace Sidecar.Configuration;

/// <summary>The <c>Sidecar</c> configuration section. Read and validated at start and on each reload by <see cref="LiveOptions.Read"/>.</summary>
public sealed class SidecarOptions
{
    public const string SectionName = "Sidecar";

    /// <summary>Path of the Unix socket that serves Completions. Default <c>/var/run/sidecar/sidecar.sock</c>;
    /// the <c>SIDECAR_SOCKET</c> environment variable sets it too.</summary>
    public string Socket { get; set; } = "/var/run/sidecar/sidecar.sock";

    /// <summary>File mode of the socket, octal. Default <c>0660</c> (owner and group may connect).</summary>
    public string SocketMode { get; set; } = "0660";

    /// <summary>
    /// Start even though the socket's folder is writable by other users by its mode. Only for folders
    /// nobody else can write in practice, such as a Kubernetes <c>emptyDir</c> (always mode 0777) that only
    /// the sidecar mounts writable. Default false: such a folder refuses the start (exit 2).
    /// </summary>
    public bool AllowWritableSocketFolder { get; set; }

    /// <summary>TCP port for <c>grpc.health.v1</c> over cleartext HTTP/2. Default 8081; 0 turns it off.</summary>
    public int HealthPort { get; set; } = 8081;

    /// <summary>TCP port for HTTP/1.1 <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>. Default 8082; 0 turns it off.</summary>
    public int HttpPort { get; set; } = 8082;

    /// <summary>Connections each TCP port (health, HTTP) holds at once; one more is closed at once. Default 32.</summary>
    public int PortMaxConnections { get; set; } = 32;

    /// <summary>Requests in flight on each TCP port (a health Watch stream counts while open); one more gets 503. Default 64.</summary>
    public int PortMaxRequests { get; set; } = 64;

    /// <summary>Address the two TCP ports bind to. Default <c>0.0.0.0</c> (kubelet probes the pod IP).</summary>
    public string HealthAddress { get; set; } = "0.0.0.0";

    /// <summary>Configured key references by name.</summary>
    public Dictionary<string, KeyRefOptions> Keys { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A folder whose files are key references (file name = key_ref, content = key). Default none.</summary>
    public string? KeysDirectory { get; set; }

    /// <summary>Caller uids allowed to use key references from <see cref="KeysDirectory"/>. Default: anyone who can open the socket.</summary>
    public List<uint> KeysDirectoryAllowedUids { get; set; } = [];

    /// <summary>Caller primary gids allowed to use key references from <see cref="KeysDirectory"/>.</summary>
    public List<uint> KeysDirectoryAllowedGids { get; set; } = [];

    /// <summary>Group (numeric gid) given to the socket file, so agents in that group may connect. Default: the daemon's.</summary>
    public uint? SocketGroup { get; set; }

    /// <summary>Upstream for key references that name none. Default <c>https://api.openai.com/v1</c>.</summary>
    public string DefaultEndpoint { get; set; } = "https://api.openai.com/v1";

    /// <summary>How often key files and variables are re-read, so rotations are seen. Default 10 s.</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long in-flight calls may finish after SIGTERM. Default 25 s (fits Kubernetes' 30 s).</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(25);

    public ClientCacheOptions ClientCache { get; set; } = new();

    public LimitsOptions Limits { get; set; } = new();

    public UpstreamOptions Upstream { get; set; } = new();

    /// <summary>Deadlines, stream timeouts, retries, circuit breakers and local limits.</summary>
    public ResilienceOptions Resilience { get; set; } = new();

    /// <summary>The OpenAI-compatible HTTP door (its own socket, an optional loopback port).</summary>
    public OpenAIHttpOptions OpenAI { get; set; } = new();

    /// <summary>Shared limits, budgets and the cache's second level on Redis; off unless configured.</summary>
    public RedisOptions Redis { get; set; } = new();

    /// <summary>The response cache's memory bounds; each key ref turns caching on with its own <c>Cache:Ttl</c>.</summary>
    public ResponseCacheStoreOptions ResponseCache { get; set; } = new();
}
