using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Google.Rpc;
using Grpc.Net.Client;
using Sidecar.Api;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Xunit.Abstractions;

namespace Sidecar.FunctionalTests;

/// <summary>The soak runs alone, after the other tests, so its memory and connection figures are its own.</summary>
[CollectionDefinition(nameof(SoakCollection), DisableParallelization = true)]
public sealed class SoakCollection;

/// <summary>
/// A bounded soak: many agents (channels) make unary and streaming calls at once through the real daemon
/// to the fake upstream, with injected faults (500, 429, 401, resets, cuts, hangs, transient 503s and 429s) and
/// callers that cancel mid-stream. Afterwards: every call ended with a complete answer or an explicit
/// status, nothing is left in flight, no upstream connection leaked, and memory is where it was.
/// <para>
/// Size: <c>SIDECAR_SOAK_REQUESTS</c> (default <see cref="DefaultRequests"/>, the CI version);
/// <c>bench/soak.sh</c> runs 10 000. <c>SIDECAR_SOAK_CONCURRENCY</c> (default 32), <c>SIDECAR_SOAK_SEED</c>.
/// The figures go to the test output and, when <c>SIDECAR_SOAK_REPORT</c> names a file, to that file.
/// </para>
/// </summary>
[Collection(nameof(SoakCollection))]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int DefaultRequests = 2_000;
    private const int Agents = 4;
    private const double FaultShare = 0.20;
    private const double CancelShare = 0.10;

    /// <summary>Deadline of every call that should answer; a hang gets <see cref="HangDeadline"/>.</summary>
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan HangDeadline = TimeSpan.FromMilliseconds(300);

    /// <summary>A call still running this long has hung: every call has a deadline well inside it.</summary>
    private static readonly TimeSpan HungAfter = CallDeadline + TimeSpan.FromSeconds(8);

    private enum Kind
    {
        Ok,
        Fault500,
        Fault429,
        Fault401,
        Transient503,
        Transient429,
        Reset,
        Cut,
        Hang,
        Cancel,
    }

    [Fact]
    public async Task Soak_FaultsAndCancellationsUnderLoad_EveryCallEndsExplicitlyAndNothingLeaks()
    {
        var requests = Setting("SIDECAR_SOAK_REQUESTS", DefaultRequests);
        var concurrency = Setting("SIDECAR_SOAK_CONCURRENCY", 32);
        Assert.True(concurrency <= KeyLimitsOptions.DefaultMaxConcurrentRequests, "more calls at once than a key admits: the soak would measure its own refusals");
        var seed = Setting("SIDECAR_SOAK_SEED", 4242);
        var rssAtStart = Rss();

        await using var upstream = await FakeUpstreamServer.StartAsync();
        var keyDir = Directory.CreateTempSubdirectory("sidecar-soak-");
        var (keyFile, secret) = await WriteKeyAsync(keyDir, "soak-401");
        Daemon? daemon = await Daemon.StartAsync(upstream, new Dictionary<string, string>
        {
            // 401s go through their own key ref: a per-key breaker that opens on them stays out of the way of
            // the others. Breakers get a generous ratio so injected faults (a fifth of the calls) do not
            // open the endpoint's breaker for the healthy ones; a breaker that opens anyway is an explicit
            // status (CIRCUIT_OPEN) and counted.
            ["Sidecar:Keys:soak-401:ApiKey"] = $"file:{keyFile}",
            ["Sidecar:Keys:soak-401:Endpoint"] = upstream.Endpoint.ToString(),
            ["Sidecar:Resilience:CircuitBreaker:FailureRatio"] = "0.9",
            // Retries keep their shape (backoff with jitter, Retry-After honoured) with short waits, so the soak
            // spends its time on calls rather than on timers. fake-429 asks for 2 s, more than the daemon waits
            // out here: it answers at once with the upstream's delay; fake-fail1-429-after100ms is waited out.
            ["Sidecar:Resilience:Retry:BaseDelay"] = "00:00:00.050",
            ["Sidecar:Resilience:Retry:MaxRetryAfter"] = "00:00:01",
            // One line per call would be kept by the test's log sink and counted as "daemon memory".
            ["Logging:LogLevel:Sidecar.Api.CompletionPipeline"] = "Warning",
        });
        daemon.AddSecret(secret); // the fake's 401 quotes the key it got; the daemon must not log it
        var agents = Enumerable.Range(0, Agents).Select(_ => Daemon.SocketChannel(daemon.Socket)).ToArray();
        using var gauges = new DaemonGauges(daemon.App.Services.GetRequiredService<SidecarMetrics>().Meter);
        var tracker = daemon.App.Services.GetRequiredService<CallTracker>();
        try
        {
            // Warm-up: every kind once or more, so JIT, pools and caches are in place before the baseline.
            var warmUp = Plan(Math.Max(100, requests / 10), seed + 1, prefix: "w");
            var warmOutcomes = await RunAsync(warmUp, agents, concurrency);
            var warmWrong = Classify(warmUp, warmOutcomes).Wrong;
            Assert.True(warmWrong.Count == 0, $"warm-up: {warmWrong.Count} calls ended without a complete answer or an explicit status:\n{string.Join('\n', warmWrong.Take(30))}");
            var warmBusy = await QuiescenceProblemAsync(upstream, tracker, gauges, concurrency);
            Assert.True(warmBusy is null, "warm-up: " + warmBusy);
            var heapAfterWarmUp = GC.GetTotalMemory(forceFullCollection: true);
            var rssAfterWarmUp = Rss();
            var fdsAfterWarmUp = OpenFileDescriptors();
            var upstreamRequestsBefore = upstream.Requests.Count;
            var connectionsBefore = upstream.TotalConnections;
            var attemptsBefore = gauges.UpstreamAttempts;
            var retriesBefore = gauges.UpstreamRetries;

            var plan = Plan(requests, seed, prefix: "s");
            var clock = Stopwatch.StartNew();
            var outcomes = await RunAsync(plan, agents, concurrency);
            var elapsed = clock.Elapsed;

            // Gather every figure first, so the report is written even when a check fails; assert at the end.
            var (byStatus, wrong, unanswered) = Classify(plan, outcomes);
            var notAborted = await UpstreamRequestsLeftRunningAsync(upstream, plan);
            var busy = await QuiescenceProblemAsync(upstream, tracker, gauges, concurrency);
            var openAfter = upstream.OpenConnections;
            var inFlightAfter = (Calls: tracker.InFlight, Streams: gauges.StreamsInFlight);
            var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            var rssAfter = Rss();
            var fdsAfter = OpenFileDescriptors();
            var upstreamRequests = upstream.Requests.Count - upstreamRequestsBefore;

            // The daemon's stop closes its pool: then the upstream sees no connection at all.
            foreach (var agent in agents)
            {
                agent.Dispose();
            }

            await daemon.DisposeAsync();
            daemon = null;
            var lingering = await WaitForAsync(() => upstream.OpenConnections == 0);
            var heapAfterStop = GC.GetTotalMemory(forceFullCollection: true);

            var report = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"soak: {requests} calls, concurrency {concurrency}, {Agents} agents, seed {seed}, {elapsed.TotalSeconds:F1} s ({requests / elapsed.TotalSeconds:F0} calls/s)")
                .AppendLine(CultureInfo.InvariantCulture, $"planned: {Describe(plan.GroupBy(c => c.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"))}; unary={plan.Count(c => !c.Stream)} streaming={plan.Count(c => c.Stream)}")
                .AppendLine(CultureInfo.InvariantCulture, $"faults injected: {plan.Count(c => c.Kind is not (Kind.Ok or Kind.Cancel))}; cancellations mid-stream: {plan.Count(c => c.Kind == Kind.Cancel)}")
                .AppendLine(CultureInfo.InvariantCulture, $"outcomes: {Describe(byStatus.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}={kv.Value}"))}")
                .AppendLine(CultureInfo.InvariantCulture, $"calls hung: {outcomes.Count(o => o.Hung)}; calls without a complete answer or an explicit status: {wrong.Count}; healthy calls not answered: {unanswered}")
                .AppendLine(CultureInfo.InvariantCulture, $"upstream requests: {upstreamRequests} (attempts {gauges.UpstreamAttempts - attemptsBefore}, retries {gauges.UpstreamRetries - retriesBefore}); upstream connections opened: {upstream.TotalConnections - connectionsBefore}; left running after their caller went: {notAborted.Count}")
                .AppendLine(CultureInfo.InvariantCulture, $"open upstream connections after: {openAfter} (idle in the pool, at most {concurrency}); after the daemon stopped: {upstream.OpenConnections}")
                .AppendLine(CultureInfo.InvariantCulture, $"in flight after: calls {inFlightAfter.Calls}, streams {inFlightAfter.Streams}")
                .AppendLine(CultureInfo.InvariantCulture, $"managed heap after warm-up: {Mib(heapAfterWarmUp)}, after: {Mib(heapAfter)} ({(heapAfter - heapAfterWarmUp) / (double)requests:F0} bytes per call, the fake upstream's records included), after the daemon stopped: {Mib(heapAfterStop)}")
                .AppendLine(CultureInfo.InvariantCulture, $"RSS at start: {Mib(rssAtStart)}, after warm-up: {Mib(rssAfterWarmUp)}, after: {Mib(rssAfter)}")
                .AppendLine(CultureInfo.InvariantCulture, $"open file descriptors after warm-up: {fdsAfterWarmUp}, after: {fdsAfter}")
                .ToString();
            output.WriteLine(report);
            if (Environment.GetEnvironmentVariable("SIDECAR_SOAK_REPORT") is { Length: > 0 } path)
            {
                await File.WriteAllTextAsync(path, report);
            }

            Assert.True(wrong.Count == 0, $"{wrong.Count} calls ended without a complete answer or an explicit status:\n{string.Join('\n', wrong.Take(30))}");
            // Refusals by a breaker or a limit are explicit, but healthy calls must still mostly get through.
            Assert.True(unanswered <= plan.Count(c => c.Kind == Kind.Ok) / 5, $"{unanswered} healthy calls were not answered");
            Assert.True(notAborted.Count == 0, $"upstream requests that ran to their end although their caller had gone: {string.Join(", ", notAborted.Take(20))}");
            Assert.True(busy is null, busy);
            Assert.True(openAfter <= concurrency, $"{openAfter} upstream connections open with nothing in flight; at most {concurrency} can be idle in the pool");
            Assert.True(lingering, $"{upstream.OpenConnections} upstream connections still open after the daemon stopped");

            // Bounds, not timings. The heap is this whole process: the fake upstream keeps a record of every
            // request it got (its parsed JSON body: about 2.4 KB each, measured), and this test keeps the plan
            // and the outcomes. Growth beyond 4 KiB per upstream request plus 16 MiB is memory the daemon
            // kept: a response, a client or a token source left behind by every call would show here.
            var allowance = (upstreamRequests * 4096L) + (16L << 20);
            Assert.True(heapAfter - heapAfterWarmUp <= allowance, $"managed heap grew from {Mib(heapAfterWarmUp)} to {Mib(heapAfter)}, more than the {Mib(allowance)} the test's own records explain");
            Assert.True(fdsAfter <= fdsAfterWarmUp + (2 * concurrency) + 32, $"open file descriptors grew from {fdsAfterWarmUp} to {fdsAfter}");
        }
        finally
        {
            foreach (var agent in agents)
            {
                agent.Dispose();
            }

            if (daemon is not null)
            {
                await daemon.DisposeAsync();
            }

            keyDir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Exactly <see cref="FaultShare"/> of the calls get a fault (spread over the fault kinds) and
    /// <see cref="CancelShare"/> are cancelled mid-stream; the rest should answer. Shuffled with the seed.
    /// </summary>
    private static List<PlannedCall> Plan(int count, int seed, string prefix)
    {
        var random = new Random(seed);
        Kind[] faults = [Kind.Fault500, Kind.Fault429, Kind.Fault401, Kind.Transient503, Kind.Transient429, Kind.Reset, Kind.Cut, Kind.Hang];
        var kinds = new List<Kind>(count);
        var faultCount = (int)Math.Round(count * FaultShare);
        var cancelCount = (int)Math.Round(count * CancelShare);
        for (var i = 0; i < faultCount; i++)
        {
            kinds.Add(faults[i % faults.Length]);
        }

        kinds.AddRange(Enumerable.Repeat(Kind.Cancel, cancelCount));
        kinds.AddRange(Enumerable.Repeat(Kind.Ok, count - kinds.Count));
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kinds));

        return kinds.Select((kind, i) =>
        {
            var id = $"{prefix}{i}";
            // Resets and cuts only exist in streams (the fake answers them whole when unary); a cancel
            // mid-stream needs a stream.
            var stream = kind is Kind.Reset or Kind.Cut or Kind.Cancel || random.Next(2) == 0;
            var (model, keyRef) = kind switch
            {
                Kind.Ok => ("fake-soak", "fake"),
                Kind.Fault500 => ("fake-500", "fake"),
                Kind.Fault429 => ("fake-429", "fake"),
                Kind.Fault401 => ("fake-401", "soak-401"),
                Kind.Transient503 => ("fake-fail1-503", "fake"),
                Kind.Transient429 => ("fake-fail1-429-after100ms", "fake"),
                Kind.Reset => ("fake-reset", "fake"),
                Kind.Cut => ("fake-cut", "fake"),
                Kind.Hang => ("fake-hang", "fake"),
                _ => ("fake-drip", "fake"), // 300 chunks over 6 s: cancelled long before its end
            };
            var request = new CompleteRequest
            {
                KeyRef = keyRef,
                // The fake ignores what follows '@', so each call is its own model: the upstream's record of
                // it can be found, and "fail the first request" means this call's first attempt.
                Model = $"{model}@{id}",
                Messages = { new Message { Role = Role.User, Content = $"soak {id} one two three" } },
            };
            return new PlannedCall(i, kind, stream, request, CancelAfterChunks: 1 + random.Next(5));
        }).ToList();
    }

    private async Task<Outcome[]> RunAsync(List<PlannedCall> plan, GrpcChannel[] agents, int concurrency)
    {
        var outcomes = new Outcome[plan.Count];
        await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (call, _) =>
        {
            var client = new Completions.CompletionsClient(agents[call.Index % agents.Length]);
            try
            {
                outcomes[call.Index] = await CallAsync(client, call).WaitAsync(HungAfter);
            }
            catch (TimeoutException)
            {
                outcomes[call.Index] = new Outcome(null, null, null, FinishReason.Unspecified, Hung: true);
            }
        }).WaitAsync(TimeSpan.FromMinutes(30));
        return outcomes;
    }

    private static async Task<Outcome> CallAsync(Completions.CompletionsClient client, PlannedCall call)
    {
        var deadline = DateTime.UtcNow.Add(call.Kind == Kind.Hang ? HangDeadline : CallDeadline);
        try
        {
            if (!call.Stream)
            {
                var response = await client.CompleteAsync(call.Request, deadline: deadline).ResponseAsync;
                return new Outcome(StatusCode.OK, null, response.Message.Content, response.FinishReason);
            }

            using var cancel = new CancellationTokenSource();
            using var stream = client.StreamComplete(call.Request, deadline: deadline, cancellationToken: cancel.Token);
            var text = new StringBuilder();
            var finish = FinishReason.Unspecified;
            var chunks = 0;
            while (await stream.ResponseStream.MoveNext(CancellationToken.None))
            {
                var chunk = stream.ResponseStream.Current;
                text.Append(chunk.ContentDelta);
                finish = chunk.FinishReason != FinishReason.Unspecified ? chunk.FinishReason : finish;
                if (call.Kind == Kind.Cancel && ++chunks == call.CancelAfterChunks)
                {
                    cancel.Cancel();
                }
            }

            return new Outcome(StatusCode.OK, null, text.ToString(), finish);
        }
        catch (RpcException ex)
        {
            var status = ex.GetRpcStatus();
            return new Outcome(ex.StatusCode, status?.GetDetail<ErrorInfo>()?.Reason, null, FinishReason.Unspecified, RetryInfo: status?.GetDetail<RetryInfo>() is not null);
        }
    }

    /// <summary>
    /// Sorts the outcomes: the count per status, the calls that did not end with a complete answer (the whole
    /// text and a finish reason) or with a status their kind explains, and how many healthy calls were not
    /// answered. Retries (when on) may turn a transient failure into an answer; a breaker or a local limit
    /// may refuse any call, explicitly.
    /// </summary>
    private static (Dictionary<string, int> ByStatus, List<string> Wrong, int Unanswered) Classify(List<PlannedCall> plan, Outcome[] outcomes)
    {
        var wrong = new List<string>();
        var byStatus = new Dictionary<string, int>();
        for (var i = 0; i < plan.Count; i++)
        {
            var (call, outcome) = (plan[i], outcomes[i]);
            var label = outcome.Hung ? "HUNG" : outcome.Reason is { Length: > 0 } r ? $"{outcome.Status}/{r}" : $"{outcome.Status}";
            byStatus[label] = byStatus.GetValueOrDefault(label) + 1;
            if (!Acceptable(call, outcome))
            {
                wrong.Add($"{call.Request.Model} ({call.Kind}, {(call.Stream ? "stream" : "unary")}): {label} retry_info={outcome.RetryInfo} text='{outcome.Text}' finish={outcome.Finish}");
            }
        }

        var unanswered = plan.Count(c => c.Kind == Kind.Ok && outcomes[c.Index].Status != StatusCode.OK);
        return (byStatus, wrong, unanswered);
    }

    private static bool Acceptable(PlannedCall call, Outcome outcome)
    {
        if (outcome.Hung || outcome.Status is null)
        {
            return false;
        }

        // Where waiting helps, the status says how long (docs/design.md, "Errors").
        if (outcome.Reason is "UPSTREAM_RATE_LIMITED" or "UPSTREAM_UNAVAILABLE" or "CIRCUIT_OPEN" or "LOCAL_LIMIT" && !outcome.RetryInfo)
        {
            return false;
        }

        var complete = outcome.Status == StatusCode.OK
            && outcome.Finish == FinishReason.Stop
            && outcome.Text == $"fake: {call.Request.Messages[0].Content}";
        // Any call may be refused by a breaker: a fifth of the calls fail on purpose, so breakers open and close
        // throughout the run. Never by a local limit: the concurrency stays under the per-key limit (checked at
        // start) and the stream cap.
        var refused = (outcome.Status, outcome.Reason) is (StatusCode.Unavailable, "CIRCUIT_OPEN");
        // A reset or a cut after the first chunk breaks the stream; a reset that reaches the daemon before it read
        // the first chunk (the kernel drops unread data on a reset) is a failure before any text, retried, then
        // UPSTREAM_UNAVAILABLE.
        var broken = (outcome.Status, outcome.Reason) is (StatusCode.Unavailable, "UPSTREAM_STREAM_BROKEN" or "UPSTREAM_UNAVAILABLE");
        return call.Kind switch
        {
            Kind.Ok => complete || refused,
            Kind.Fault500 => (outcome.Status, outcome.Reason) is (StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE") || refused,
            Kind.Fault429 => (outcome.Status, outcome.Reason) is (StatusCode.ResourceExhausted, "UPSTREAM_RATE_LIMITED") || refused,
            Kind.Fault401 => (outcome.Status, outcome.Reason) is (StatusCode.Unauthenticated, "UPSTREAM_AUTH") || refused,
            // The retry answers, unless a breaker that other calls' faults opened refuses it: the caller then hears
            // the upstream's failure, not CIRCUIT_OPEN, since its own attempt was made (UpstreamResilience).
            Kind.Transient503 => complete || (outcome.Status, outcome.Reason) is (StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE") || refused,
            Kind.Transient429 => complete || (outcome.Status, outcome.Reason) is (StatusCode.ResourceExhausted, "UPSTREAM_RATE_LIMITED") || refused,
            // Never a success: the upstream never finished these, so an OK would be a silent truncation.
            Kind.Reset or Kind.Cut => broken || refused,
            Kind.Hang => outcome.Status == StatusCode.DeadlineExceeded || refused,
            Kind.Cancel => outcome.Status == StatusCode.Cancelled,
            _ => false,
        };
    }

    /// <summary>
    /// Waits for every upstream request to end; returns those whose caller went away (a cancel, a passed
    /// deadline) but which ran to their end anyway: the daemon should have aborted them.
    /// </summary>
    private static async Task<List<string>> UpstreamRequestsLeftRunningAsync(FakeUpstreamServer upstream, List<PlannedCall> plan)
    {
        var all = upstream.Requests.ToList();
        await Task.WhenAll(all.Select(r => r.Ended)).WaitAsync(Daemon.Timeout);
        var byModel = all.ToLookup(r => r.Model);
        return plan
            .Where(c => c.Kind is Kind.Cancel or Kind.Hang)
            .SelectMany(c => byModel[c.Request.Model])
            .Where(r => !r.Ended.Result)
            .Select(r => r.Model)
            .ToList();
    }

    /// <summary>Null once nothing is in flight in the daemon and the upstream has no more connections than the
    /// pool may keep idle; otherwise what is still busy when the bounded wait ran out.</summary>
    private static async Task<string?> QuiescenceProblemAsync(FakeUpstreamServer upstream, CallTracker tracker, DaemonGauges gauges, int concurrency)
    {
        // A call's server side ends a moment after its client saw the status (a cancel travels as a reset), and
        // an aborted request's connection closes a moment after the request ended.
        if (!await WaitForAsync(() => tracker.InFlight == 0))
        {
            return $"{tracker.InFlight} calls still in flight in the daemon";
        }

        if (!await WaitForAsync(() => gauges.StreamsInFlight == 0))
        {
            return $"the streams-in-flight gauge reads {gauges.StreamsInFlight}";
        }

        return await WaitForAsync(() => upstream.OpenConnections <= concurrency)
            ? null
            : $"{upstream.OpenConnections} upstream connections open with nothing in flight; at most {concurrency} can be idle in the pool";
    }

    /// <summary>
    /// Waits for a condition on a counter that has no event of its own (the fake's connection count, the
    /// tracker, a gauge), checking it every few milliseconds; false when the bounded wait runs out. Nothing
    /// is asserted about how long it took.
    /// </summary>
    private static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Daemon.Timeout)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    private static async Task<(string Path, string Secret)> WriteKeyAsync(DirectoryInfo dir, string name)
    {
        var path = Path.Combine(dir.FullName, name);
        var secret = $"sk-soak-{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(path, secret);
        return (path, secret);
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    /// <summary>Resident set size of this process (daemon, fake upstream and test together), from /proc.</summary>
    private static long Rss()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? Environment.WorkingSet : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static int OpenFileDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024.0:F1} MiB");

    private static string Describe(IEnumerable<string> parts) => string.Join(", ", parts);

    private sealed record PlannedCall(int Index, Kind Kind, bool Stream, CompleteRequest Request, int CancelAfterChunks);

    private sealed record Outcome(StatusCode? Status, string? Reason, string? Text, FinishReason Finish, bool Hung = false, bool RetryInfo = false);

    /// <summary>Reads the daemon's own instruments (this daemon's meter only, not another test's).</summary>
    private sealed class DaemonGauges : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _streamsInFlight;
        private long _attempts;
        private long _retries;

        public DaemonGauges(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            {
                switch (instrument.Name)
                {
                    case "sidecar.streams.in_flight":
                        Interlocked.Add(ref _streamsInFlight, value);
                        break;
                    case "sidecar.upstream.attempts":
                        Interlocked.Add(ref _attempts, value);
                        break;
                    case "sidecar.upstream.retries":
                        Interlocked.Add(ref _retries, value);
                        break;
                }
            });
            _listener.Start();
        }

        public long StreamsInFlight => Interlocked.Read(ref _streamsInFlight);

        public long UpstreamAttempts => Interlocked.Read(ref _attempts);

        public long UpstreamRetries => Interlocked.Read(ref _retries);

        public void Dispose() => _listener.Dispose();
    }
}
