namespace Sidecar.Tests.Configuration;

public sealed class ResilienceOptionsValidatorTests
{
    [Fact]
    public void Validate_ManyBadResilienceSettings_ReportsEveryOneAtOnce()
    {
        var options = TestOptions.Create(o =>
        {
            o.Resilience.DefaultDeadline = TimeSpan.Zero;
            o.Resilience.FirstTokenTimeout = TimeSpan.FromSeconds(-1);
            o.Resilience.StreamIdleTimeout = TimeSpan.Zero;
            o.Resilience.MaxConcurrentStreams = -1;
            o.Resilience.Retry = new RetryOptions { MaxRetries = 11, BaseDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(1), MaxRetryAfter = TimeSpan.FromSeconds(-1) };
            o.Resilience.CircuitBreaker = new CircuitBreakerOptions { FailureRatio = 0, MinimumThroughput = 1, SamplingDuration = TimeSpan.FromMilliseconds(100), BreakDuration = TimeSpan.Zero };
            o.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = -1, QueueLimit = -2, RequestsPerMinute = -3 };
            o.Keys["team-a"] = new KeyRefOptions { ApiKey = "env:KEY", Limits = new KeyLimitsOptions { RequestsPerMinute = -1 } };
        });

        var failures = new SidecarOptionsValidator().Validate(options).ToList();

        string[] expected =
        [
            "Sidecar:Resilience:DefaultDeadline",
            "Sidecar:Resilience:FirstTokenTimeout",
            "Sidecar:Resilience:StreamIdleTimeout",
            "Sidecar:Resilience:MaxConcurrentStreams",
            "Sidecar:Resilience:Retry:MaxRetries",
            "Sidecar:Resilience:Retry:MaxDelay",
            "Sidecar:Resilience:Retry:MaxRetryAfter",
            "Sidecar:Resilience:CircuitBreaker:FailureRatio",
            "Sidecar:Resilience:CircuitBreaker:MinimumThroughput",
            "Sidecar:Resilience:CircuitBreaker:SamplingDuration",
            "Sidecar:Resilience:CircuitBreaker:BreakDuration",
            "Sidecar:Resilience:Limits:MaxConcurrentRequests",
            "Sidecar:Resilience:Limits:QueueLimit",
            "Sidecar:Resilience:Limits:RequestsPerMinute",
            "Sidecar:Keys:team-a:Limits:RequestsPerMinute",
        ];
        Assert.All(expected, path => Assert.Contains(failures, f => f.StartsWith(path + " ", StringComparison.Ordinal)));
        Assert.Equal(expected.Length, failures.Count);
    }
}
