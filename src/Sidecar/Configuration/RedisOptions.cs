namespace Sidecar.Configuration;

/// <summary>
/// Shared state on Redis (or Valkey), <c>Sidecar:Redis</c>: shared limits, token budgets and the response
/// cache's second level, shared by every sidecar on the same Redis (docs/scaling.md). Read at start; with
/// <see cref="Configuration"/> empty nothing connects and everything stays local.
/// </summary>
public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string, such as <c>redis:6379,ssl=true,password=env:REDIS_PASSWORD</c>.
    /// The password (and user) may be <c>env:NAME</c> or <c>file:/path</c>, like keys. Empty (default): off.</summary>
    public string Configuration { get; set; } = string.Empty;

    /// <summary>A PEM file of the certificate authorities Redis' TLS certificate must chain to, for a Redis whose
    /// certificate a private CA signed (the <c>ca.crt</c> of a Kubernetes TLS secret). Needs <c>ssl=true</c> in
    /// <see cref="Configuration"/>; when set, these authorities alone are trusted, not the system's, and the name
    /// the configuration string connects to must still match the certificate. Empty (default): the system's trust store.</summary>
    public string CaFile { get; set; } = string.Empty;

    /// <summary>What a call gets while Redis cannot be reached in time: <c>local</c> (default: the per-pod limits,
    /// and a per-pod share of each budget, <see cref="LocalBudgetShare"/>), <c>open</c> (shared limits and budgets
    /// are not enforced) or <c>closed</c> (calls on key refs with shared limits or a budget are refused with UNAVAILABLE).</summary>
    public string FailMode { get; set; } = RedisFailModes.Local;

    /// <summary>The longest one Redis operation may hold a call, from 1 ms to 5 s; past it the operation counts as
    /// failed and <see cref="FailMode"/> applies. Default 50 ms.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>With <see cref="FailMode"/> <c>local</c>: the share of each budget (per day, per month) one sidecar may
    /// spend on its own while Redis is unreachable, above 0 and at most 1. Default 0.1.</summary>
    public double LocalBudgetShare { get; set; } = 0.1;
}
