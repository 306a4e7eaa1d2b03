using Sidecar.Bench.Report;
using Sidecar.FakeUpstream;

namespace Sidecar.Bench.Driver;

/// <summary>The latency phases: open-loop unary, the ramp, streaming, closed-loop throughput, cancellation.</summary>
internal sealed partial class BenchRun
{
    private async Task<int> UnaryAtRateAsync(string name, double rate, int calls, CancellationToken ct)
    {
        var figure = await MeasureUnaryAtRateAsync(name, rate, calls, ct);
        _results.Unary.Add(figure);
        return figure.Sidecar.Errors + figure.Direct.Errors;
    }

    private async Task<LatencyFigure> MeasureUnaryAtRateAsync(string name, double rate, int calls, CancellationToken ct)
    {
        var block = Math.Max(1, calls / 2);
        var limit = TimeSpan.FromSeconds(block / rate * 1.5 + 2);
        var paired = await PairedAsync(t => Load.OpenLoopAsync(c => t.UnaryAsync(UnaryModel, c), rate, block, limit, BenchSettings.MaxInFlight, ct));
        var sidecar = Stats(paired.Sidecar, s => s.LatencyUs);
        var direct = Stats(paired.Direct, s => s.LatencyUs);
        Report($"unary {name} sidecar", paired.Sidecar);
        Report($"unary {name} direct", paired.Direct);
        PlotSamples[name] = (Ok(paired.Sidecar, s => s.LatencyUs), Ok(paired.Direct, s => s.LatencyUs));
        return new LatencyFigure(name, rate, sidecar, direct, sidecar.Latency.Minus(direct.Latency), paired.SidecarCpu, paired.DirectCpu, _results.MainDaemon);
    }

    private async Task<int> RampAsync(CancellationToken ct)
    {
        // Open-loop steps through the sidecar, 1.35× apart, until one is not sustained: an error, a
        // call not started, p99 over 50 ms, or a driver that could not keep the schedule.
        var fast = _results.Unary.FirstOrDefault(u => u.Rate == BenchSettings.FastRate && u.Daemon == _results.MainDaemon);
        var best = fast is { Sidecar.Errors: 0 } ? BenchSettings.FastRate : 0;
        var rate = BenchSettings.FastRate * 1.5;
        var firstStepErrors = 0;
        for (var step = 0; step < settings.RampMaxSteps; step++, rate *= 1.35)
        {
            rate = Math.Round(rate / 50) * 50;
            var calls = (int)(rate * settings.RampStepSeconds);
            var result = await Load.OpenLoopAsync(c => _sidecar.UnaryAsync(UnaryModel, c), rate, calls, TimeSpan.FromSeconds(settings.RampStepSeconds * 1.5 + 1), BenchSettings.MaxInFlight, ct);
            var latency = Distribution.Of(result.Samples.Where(s => s.Ok).Select(s => s.LatencyUs).ToList());
            var why = result.Errors > 0 ? $"{result.Errors} errors"
                : result.Throughput < rate * 0.97 ? $"{result.Throughput:F0}/s achieved"
                : latency.P99 > 50_000 ? $"p99 {latency.P99 / 1000:F0} ms"
                : result.DispatchLagP99Us > 5_000 ? $"driver fell {result.DispatchLagP99Us / 1000:F0} ms behind"
                : string.Empty;
            _results.Ramp.Add(new RampStep(rate, result.Throughput, latency.P50, latency.P99, result.Errors, result.DispatchLagP99Us, why.Length == 0, why));
            log.WriteLine($"bench:   ramp {rate:F0}/s: {result.Throughput:F0}/s achieved, p50 {latency.P50:F0} µs, p99 {latency.P99:F0} µs, {result.Errors} errors {why}");
            if (why.Length > 0)
            {
                // Errors at the first step, just above a rate that ran clean, mean something broke.
                firstStepErrors = step == 0 ? result.Errors : 0;
                break;
            }

            best = rate;
        }

        _results.MaxSustainedRate = best;
        if (best > BenchSettings.FastRate)
        {
            var calls = (int)(best * Math.Max(settings.RampStepSeconds, 1) * 2);
            var figure = await MeasureUnaryAtRateAsync($"{best:N0} req/s (highest sustained)".Replace(',', ' '), best, calls, ct);
            _results.Unary.Add(figure);
            return figure.Sidecar.Errors + figure.Direct.Errors;
        }

        return firstStepErrors;
    }

    private async Task<int> StreamingAsync(CancellationToken ct)
    {
        var block = Math.Max(1, settings.StreamCalls / 2);
        var limit = TimeSpan.FromSeconds(block / BenchSettings.StreamRate * 1.5 + 5);
        var paired = await PairedAsync(t => Load.OpenLoopAsync(c => t.StreamAsync(StreamModel, BenchSettings.StreamChunks, c), BenchSettings.StreamRate, block, limit, BenchSettings.MaxInFlight, ct));
        Report("stream sidecar", paired.Sidecar);
        Report("stream direct", paired.Direct);
        var sTtft = Stats(paired.Sidecar, s => s.TtftUs);
        var dTtft = Stats(paired.Direct, s => s.TtftUs);
        var sRelay = Distribution.Of(paired.Sidecar.Samples.Where(s => s.Ok).SelectMany(s => s.RelayUs).ToList());
        var dRelay = Distribution.Of(paired.Direct.Samples.Where(s => s.Ok).SelectMany(s => s.RelayUs).ToList());
        var sTtlt = Distribution.Of(paired.Sidecar.Samples.Where(s => s.Ok).Select(s => s.TtltUs).ToList());
        var dTtlt = Distribution.Of(paired.Direct.Samples.Where(s => s.Ok).Select(s => s.TtltUs).ToList());
        _results.Stream = new StreamFigure(
            BenchSettings.StreamRate, BenchSettings.StreamChunks, BenchSettings.StreamIntervalMs,
            sTtft, dTtft, sTtft.Latency.Minus(dTtft.Latency),
            sRelay, dRelay, sRelay.Minus(dRelay),
            sTtlt, dTtlt, sTtlt.Minus(dTtlt),
            paired.SidecarCpu, paired.DirectCpu);
        _ttftSamples = (Ok(paired.Sidecar, s => s.TtftUs), Ok(paired.Direct, s => s.TtftUs));
        return sTtft.Errors + dTtft.Errors;
    }

    private async Task<int> ThroughputAsync(CancellationToken ct)
    {
        var seconds = TimeSpan.FromSeconds(settings.ThroughputSeconds / 2);
        var unary = await PairedAsync(t => Load.ClosedLoopAsync((_, c) => t.UnaryAsync(UnaryModel, c), BenchSettings.UnaryConcurrency, int.MaxValue, seconds, ct));
        Report("throughput unary sidecar", unary.Sidecar);
        Report("throughput unary direct", unary.Direct);
        _results.Throughput.Add(new ThroughputFigure("unary", BenchSettings.UnaryConcurrency, Stats(unary.Sidecar, s => s.LatencyUs), Stats(unary.Direct, s => s.LatencyUs), unary.SidecarCpu, unary.DirectCpu));

        var stream = await PairedAsync(t => Load.ClosedLoopAsync((_, c) => t.StreamAsync(FastStreamModel, BenchSettings.StreamChunks, c), BenchSettings.StreamConcurrency, int.MaxValue, seconds, ct));
        Report("throughput stream sidecar", stream.Sidecar);
        Report("throughput stream direct", stream.Direct);
        _results.Throughput.Add(new ThroughputFigure($"streaming ({BenchSettings.StreamChunks} chunks)", BenchSettings.StreamConcurrency, Stats(stream.Sidecar, s => s.TtltUs), Stats(stream.Direct, s => s.TtltUs), stream.SidecarCpu, stream.DirectCpu));
        return unary.Sidecar.Errors + unary.Direct.Errors + stream.Sidecar.Errors + stream.Direct.Errors;
    }

    private async Task<int> CancelAsync(CancellationToken ct)
    {
        var errors = 0;
        foreach (var stream in new[] { true, false })
        {
            var sidecar = new List<double>();
            var direct = new List<double>();
            for (var i = 0; i < settings.CancelCalls; i++)
            {
                foreach (ITarget target in new ITarget[] { _sidecar, _direct })
                {
                    var id = $"{(stream ? 's' : 'u')}{target.Name}{i}";
                    var model = BenchSpec.Model(chunks: BenchSettings.StreamChunks, hang: true, id: id);
                    try
                    {
                        var cancelledAt = await target.StartAndCancelAsync(model, stream, () => _upstream.WhenArrivedAsync(id, ct), ct);
                        var closedAt = await _upstream.AbortedAtAsync(id, ct);
                        (target == (ITarget)_sidecar ? sidecar : direct).Add(Ticks.ToMicros(closedAt - cancelledAt) / 1000.0);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        errors++;
                        log.WriteLine($"bench:   cancel {id}: {ex.GetType().Name}: {ex.Message}");
                    }
                }
            }

            var figure = new CancelFigure(stream ? "streaming, after the first chunk" : "unary, while the upstream works", Distribution.Of(sidecar), Distribution.Of(direct), errors);
            _results.Cancel.Add(figure);
            log.WriteLine($"bench:   cancel {figure.Kind}: sidecar p50 {figure.SidecarMs.P50:F2} ms p99 {figure.SidecarMs.P99:F2} ms; direct p50 {figure.DirectMs.P50:F2} ms");
        }

        return errors;
    }
}
