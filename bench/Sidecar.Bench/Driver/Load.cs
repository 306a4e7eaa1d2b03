namespace Sidecar.Bench.Driver;

/// <summary>The samples of one run of one path, with what the run achieved.</summary>
internal sealed record LoadResult<T>(List<T> Samples, int Sent, int Errors, int NotStarted, double Seconds, double DispatchLagP99Us, List<string> ErrorExamples)
{
    /// <summary>Calls finished per second, over the time calls were being started.</summary>
    public double Throughput => Seconds > 0 ? Samples.Count / Seconds : 0;
}

/// <summary>
/// Two ways to load a target. Open loop: calls start on a fixed schedule whatever the answers do
/// (no coordinated omission); a dispatcher thread waking every millisecond starts every call that
/// is due. Closed loop: a fixed number of callers, each starting its next call when its last ends.
/// Both stop at a count or at a time limit, whichever comes first, and every call is bounded.
/// </summary>
internal static class Load
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    public static async Task<LoadResult<T>> OpenLoopAsync<T>(Func<CancellationToken, Task<T>> call, double rate, int count, TimeSpan timeLimit, int maxInFlight, CancellationToken cancellationToken)
        where T : ISample<T>
    {
        var tasks = new List<Task<T>>(count);
        var lags = new List<double>(count);
        var notStarted = 0;
        var inFlight = 0;
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(timeLimit + Grace);
        var start = Ticks.Now;
        var limit = start + Ticks.FromMillis(timeLimit.TotalMilliseconds);
        var periodMs = 1000.0 / rate;
        var launched = 0;
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var dispatcher = new Thread(() =>
        {
            try
            {
                while (launched < count && Ticks.Now <= limit && !cancellationToken.IsCancellationRequested)
                {
                    var due = Math.Min(count, (int)(Ticks.ToMicros(Ticks.Now - start) / 1000.0 / periodMs) + 1);
                    while (launched < due)
                    {
                        var scheduled = start + Ticks.FromMillis(launched * periodMs);
                        lags.Add(Ticks.ToMicros(Ticks.Now - scheduled));
                        launched++;
                        if (Volatile.Read(ref inFlight) >= maxInFlight)
                        {
                            notStarted++;
                            continue;
                        }

                        Interlocked.Increment(ref inFlight);
                        tasks.Add(Guarded(call, hardStop.Token, () => Interlocked.Decrement(ref inFlight)));
                    }

                    Thread.Sleep(1);
                }

                dispatched.SetResult();
            }
            catch (Exception ex)
            {
                dispatched.SetException(ex);
            }
        })
        { IsBackground = true, Name = "open-loop dispatcher" };
        dispatcher.Start();
        await dispatched.Task;
        var seconds = Ticks.MicrosSince(start) / 1e6;
        var samples = (await Task.WhenAll(tasks)).ToList();
        notStarted += count - launched;
        var lagP99 = lags.Count == 0 ? 0 : Distribution.Of(lags).P99;
        return Collect(samples, tasks.Count, notStarted, seconds, lagP99, $"over {maxInFlight} in flight or past the time limit");
    }

    public static async Task<LoadResult<T>> ClosedLoopAsync<T>(Func<int, CancellationToken, Task<T>> call, int concurrency, int count, TimeSpan timeLimit, CancellationToken cancellationToken)
        where T : ISample<T>
    {
        var issued = -1;
        var start = Ticks.Now;
        var limit = start + Ticks.FromMillis(timeLimit.TotalMilliseconds);
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(timeLimit + Grace);
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var mine = new List<T>();
            int i;
            while ((i = Interlocked.Increment(ref issued)) < count && Ticks.Now < limit && !cancellationToken.IsCancellationRequested)
            {
                var n = i;
                mine.Add(await Guarded(ct => call(n, ct), hardStop.Token, null).ConfigureAwait(false));
            }

            return mine;
        }).ToList();
        var all = (await Task.WhenAll(workers)).SelectMany(s => s).ToList();
        var seconds = Ticks.MicrosSince(start) / 1e6;
        return Collect(all, all.Count, 0, seconds, 0, string.Empty);
    }

    private static async Task<T> Guarded<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, Action? done)
        where T : ISample<T>
    {
        try
        {
            return await call(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return T.Failed($"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            done?.Invoke();
        }
    }

    private static LoadResult<T> Collect<T>(List<T> samples, int sent, int notStarted, double seconds, double lagP99, string notStartedWhy)
        where T : ISample<T>
    {
        var errors = 0;
        var examples = new List<string>();
        foreach (var sample in samples)
        {
            if (sample.Error is { } error)
            {
                errors++;
                if (examples.Count < 5 && !examples.Contains(error))
                {
                    examples.Add(error);
                }
            }
        }

        if (notStarted > 0)
        {
            examples.Add($"{notStarted} calls not started ({notStartedWhy})");
        }

        return new LoadResult<T>(samples, sent, errors + notStarted, notStarted, seconds, lagP99, examples);
    }
}
