
namespace Sidecar.Tests.Resilience;

public sealed class CallDeadlinesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Start_CallerSetNoDeadline_GetsTheDefaultOneEnforcedOnTheClock()
    {
        var options = TestOptions.Create(o => o.Resilience.DefaultDeadline = TimeSpan.FromMinutes(10));
        var deadlines = new CallDeadlines(TestOptions.Live(options), _time);

        using var deadline = deadlines.Start(DateTime.MaxValue, CancellationToken.None);

        Assert.Equal(_time.GetUtcNow().UtcDateTime.AddMinutes(10), deadline.Deadline);
        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.False(deadline.Token.IsCancellationRequested);
        Assert.False(deadline.HasPassed);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(deadline.Token.IsCancellationRequested);
        Assert.True(deadline.HasPassed);
    }

    [Fact]
    public void Start_CallerDeadline_WinsEvenWhenLongerThanTheDefault()
    {
        var deadlines = new CallDeadlines(TestOptions.Live(TestOptions.Create()), _time);
        var callerDeadline = _time.GetUtcNow().UtcDateTime.AddHours(1);
        using var call = new CancellationTokenSource();

        using var deadline = deadlines.Start(callerDeadline, call.Token);
        _time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(callerDeadline, deadline.Deadline);
        Assert.False(deadline.Token.IsCancellationRequested);
        Assert.False(deadline.HasPassed);
        call.Cancel();
        Assert.True(deadline.Token.IsCancellationRequested);
        Assert.False(deadline.HasPassed);
    }

    [Fact]
    public void Start_CallerCancels_TheTokenFiresButTheDeadlineHasNotPassed()
    {
        var deadlines = new CallDeadlines(TestOptions.Live(TestOptions.Create()), _time);
        using var call = new CancellationTokenSource();
        using var deadline = deadlines.Start(DateTime.MaxValue, call.Token);

        call.Cancel();

        Assert.True(deadline.Token.IsCancellationRequested);
        Assert.False(deadline.HasPassed);
    }
}
