using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Sidecar.Client.Tests.Infrastructure;
using Sidecar.V1;

namespace Sidecar.Client.Tests;

/// <summary>
/// The shared conformance cases (tests/conformance/cases.json) against the live daemon at
/// SIDECAR_SOCKET. See tests/conformance/README.md for what each expectation means.
/// </summary>
public sealed class ConformanceTests(ConformanceTests.DaemonFixture daemon) : IClassFixture<ConformanceTests.DaemonFixture>
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(20);
    private static readonly string CasesPath =
        Environment.GetEnvironmentVariable("SIDECAR_CONFORMANCE_CASES") is { Length: > 0 } path
            ? path
            : Path.Combine(AppContext.BaseDirectory, "conformance", "cases.json");

    // Unknown keys fail loudly: a new kind of expectation must not be silently ignored.
    private static readonly string[] FileKeys = ["comment", "cases"];
    private static readonly string[] CaseKeys = ["name", "comment", "rpc", "request", "expect", "deadlineMs", "cancelAfterChunks", "cancelAfterMs", "readiness"];
    private static readonly string[] ExpectKeys = ["text", "minChunks", "finishReason", "usage", "toolCalls", "code", "reason", "fieldViolation", "retryDelayMs", "notReady", "servedBy"];
    private static readonly string[] ServedByKeys = ["keyRef", "model", "attempts", "cached"];
    private static readonly string[] ReadinessKeys = ["socketAppearsAfterMs", "readyTimeoutMs"];

    /// <summary>One channel for all cases, ready before the first.</summary>
    public sealed class DaemonFixture : IAsyncLifetime
    {
        public SidecarChannel? Channel { get; private set; }

        public async Task InitializeAsync()
        {
            if (Daemon.SocketPath is { } path)
            {
                // The cases speak in wire status codes: a caller's cancel stays RpcException(Cancelled) here.
                Channel = SidecarChannel.Create(path, new SidecarChannelOptions { DefaultDeadline = TimeSpan.FromSeconds(30), ThrowOperationCanceledOnCancellation = false });
                await Channel.WaitForReadyAsync(TimeSpan.FromSeconds(30)).WaitAsync(TimeSpan.FromSeconds(40));
            }
        }

        public Task DisposeAsync()
        {
            Channel?.Dispose();
            return Task.CompletedTask;
        }
    }

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in LoadCases())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }
        return data;
    }

    private static List<JsonElement> LoadCases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(CasesPath));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToList();
    }

    private static IEnumerable<string> UnknownKeys(JsonElement element, string[] known, string prefix = "") =>
        element.ValueKind == JsonValueKind.Object
            ? element.EnumerateObject().Select(p => p.Name).Where(n => !known.Contains(n)).Select(n => prefix + n)
            : [];

    /// <summary>Every problem with the shape of one case (empty when this runner understands all of it).</summary>
    private static List<string> CaseProblems(JsonElement c)
    {
        var problems = new List<string>();
        var expect = c.TryGetProperty("expect", out var e) ? e : default;
        var readiness = c.TryGetProperty("readiness", out var r) ? r : default;
        var unknown = UnknownKeys(c, CaseKeys).Concat(UnknownKeys(expect, ExpectKeys, "expect.")).Concat(UnknownKeys(readiness, ReadinessKeys, "readiness.")).ToList();
        if (unknown.Count > 0)
        {
            problems.Add($"fields this runner does not know: {string.Join(", ", unknown)}");
        }
        var rpc = c.TryGetProperty("rpc", out var rpcValue) ? rpcValue.GetString() : null;
        if (rpc is not ("Complete" or "StreamComplete"))
        {
            problems.Add($"unknown rpc {rpc}");
        }
        if (expect.ValueKind != JsonValueKind.Object || !expect.EnumerateObject().Any())
        {
            problems.Add("expects nothing");
            return problems;
        }
        bool Has(JsonElement element, string name) => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out _);
        if (Has(c, "cancelAfterChunks") && rpc != "StreamComplete")
        {
            problems.Add("cancelAfterChunks on a unary call");
        }
        if (Has(c, "cancelAfterMs") && rpc != "Complete")
        {
            problems.Add("cancelAfterMs on a stream");
        }
        if (Has(expect, "code") && (Has(expect, "finishReason") || Has(expect, "usage") || Has(expect, "toolCalls") || Has(expect, "servedBy")))
        {
            problems.Add("a failing call has no finishReason, usage, toolCalls or servedBy");
        }
        if (expect.TryGetProperty("servedBy", out var servedBy)
            && (UnknownKeys(servedBy, ServedByKeys).Any() || ServedByKeys.Any(k => !Has(servedBy, k))))
        {
            problems.Add($"servedBy needs exactly {string.Join(", ", ServedByKeys)}");
        }
        if (!Has(expect, "code") && (Has(expect, "reason") || Has(expect, "fieldViolation") || Has(expect, "retryDelayMs")))
        {
            problems.Add("reason/fieldViolation/retryDelayMs without code");
        }
        if (Has(expect, "notReady") && (!Has(c, "readiness") || Has(readiness, "socketAppearsAfterMs")))
        {
            problems.Add("notReady needs readiness without socketAppearsAfterMs");
        }
        if (Has(c, "readiness") && !(readiness.TryGetProperty("readyTimeoutMs", out var timeout) && timeout.GetInt32() > 0))
        {
            problems.Add("readiness needs readyTimeoutMs");
        }
        return problems;
    }

    /// <summary>What a call produced; a stream that failed keeps what arrived before the error.</summary>
    private sealed record Outcome(string Text, int ContentChunks, FinishReason FinishReason, Usage? Usage, List<ToolCall> ToolCalls, ServedBy? ServedBy, RpcException? Error = null);

    [ConformanceTheory]
    [MemberData(nameof(CaseNames))]
    public async Task Case_BehavesAsSpecified(string name)
    {
        Daemon.AssertAvailable();
        var c = LoadCases().Single(x => x.GetProperty("name").GetString() == name);
        Assert.Empty(CaseProblems(c));
        var expect = c.GetProperty("expect");
        var request = JsonParser.Default.Parse<CompleteRequest>(c.GetProperty("request").GetRawText());
        DateTime? deadline = c.TryGetProperty("deadlineMs", out var ms) ? DateTime.UtcNow.AddMilliseconds(ms.GetInt32()) : null;
        var cancelAfter = c.TryGetProperty("cancelAfterChunks", out var n) ? n.GetInt32() : 0;
        var cancelAfterMs = c.TryGetProperty("cancelAfterMs", out var cms) ? cms.GetInt32() : 0;

        var channel = daemon.Channel!;
        SidecarChannel? own = null;
        var workdir = Directory.CreateTempSubdirectory("sidecar-conformance-");
        try
        {
            if (c.TryGetProperty("readiness", out var readiness))
            {
                try
                {
                    channel = own = await ConnectLateAsync(readiness, workdir.FullName);
                }
                catch (TimeoutException notReady)
                {
                    Assert.True(expect.TryGetProperty("notReady", out _), $"the readiness wait failed: {notReady.Message}");
                    return;
                }
                Assert.False(expect.TryGetProperty("notReady", out _), "the readiness wait succeeded; want it to give up");
            }

            var outcome = c.GetProperty("rpc").GetString() switch
            {
                "Complete" => await CompleteAsync(channel, request, deadline, cancelAfterMs).WaitAsync(CallTimeout),
                "StreamComplete" => await StreamAsync(channel, request, deadline, cancelAfter).WaitAsync(CallTimeout),
                var rpc => throw new InvalidOperationException($"unknown rpc {rpc}"),
            };
            Check(expect, outcome);
        }
        finally
        {
            own?.Dispose();
            workdir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A channel of its own to a socket path where nothing listens; when <paramref name="readiness"/>
    /// says so, a link to the daemon's socket appears there after <c>socketAppearsAfterMs</c>.
    /// <see cref="SidecarChannel.WaitForReadyAsync"/> must ride over the gap (or give up after <c>readyTimeoutMs</c>).
    /// </summary>
    private static async Task<SidecarChannel> ConnectLateAsync(JsonElement readiness, string workdir)
    {
        var path = Path.Combine(workdir, "late.sock");
        var timeout = TimeSpan.FromMilliseconds(readiness.GetProperty("readyTimeoutMs").GetInt32());
        var channel = SidecarChannel.Create(path, new SidecarChannelOptions { DefaultDeadline = TimeSpan.FromSeconds(30) });
        using var stop = new CancellationTokenSource();
        var appear = Task.CompletedTask;
        if (readiness.TryGetProperty("socketAppearsAfterMs", out var after))
        {
            appear = Task.Run(async () =>
            {
                await Task.Delay(after.GetInt32(), stop.Token);
                File.CreateSymbolicLink(path, Path.GetFullPath(Daemon.SocketPath!));
            });
        }
        try
        {
            await channel.WaitForReadyAsync(timeout).WaitAsync(timeout + CallTimeout);
            await appear;
            return channel;
        }
        catch
        {
            await stop.CancelAsync();
            channel.Dispose();
            throw;
        }
    }

    private static void Check(JsonElement expect, Outcome outcome)
    {
        var error = outcome.Error;
        if (expect.TryGetProperty("code", out var code))
        {
            Assert.True(error is not null, $"expected {code.GetString()}, the call succeeded with {outcome}");
            Assert.Equal(code.GetString(), CodeName(error.StatusCode));
            if (expect.TryGetProperty("retryDelayMs", out var retryDelay))
            {
                Assert.True(error.GetRetryDelay() is not null, $"no RetryInfo in {error.StatusCode} {error.GetErrorReason()} {error.Status.Detail}");
                Assert.Equal(retryDelay.GetInt64(), (long)error.GetRetryDelay()!.Value.TotalMilliseconds);
            }
            // What a stream delivered before it failed.
            if (expect.TryGetProperty("text", out var partial))
            {
                Assert.Equal(partial.GetString(), outcome.Text);
            }
            if (expect.TryGetProperty("minChunks", out var partialChunks))
            {
                Assert.True(outcome.ContentChunks >= partialChunks.GetInt32(), $"{outcome.ContentChunks} chunks before the error < {partialChunks.GetInt32()}");
            }
            if (expect.TryGetProperty("reason", out var reason))
            {
                Assert.Equal(reason.GetString(), error.GetErrorReason());
                Assert.Equal(SidecarErrorReasons.Domain, error.GetErrorInfo()!.Domain);
            }
            if (expect.TryGetProperty("fieldViolation", out var field))
            {
                Assert.Contains(field.GetString(), error.GetFieldViolations().Select(v => v.Field));
            }
            return;
        }

        Assert.True(error is null, $"the call failed: {error?.StatusCode} {error?.GetErrorReason()} {error?.Status.Detail}");
        // The contract, on every answer: served_by names who answered (on a stream, the last chunk).
        // attempts counts the targets tried: at least 1, unless the answer came from the cache.
        Assert.True(outcome.ServedBy is { KeyRef.Length: > 0 } servedByAny && (servedByAny.Attempts >= 1 || servedByAny.Cached),
            $"contract: the answer's served_by is {outcome.ServedBy}, want a key_ref and attempts >= 1 (unless cached)");
        if (expect.TryGetProperty("text", out var text))
        {
            Assert.Equal(text.GetString(), outcome.Text);
        }
        if (expect.TryGetProperty("minChunks", out var minChunks))
        {
            Assert.True(outcome.ContentChunks >= minChunks.GetInt32(), $"{outcome.ContentChunks} chunks < {minChunks.GetInt32()}");
        }
        if (expect.TryGetProperty("finishReason", out var finish))
        {
            Assert.Equal(finish.GetString(), OriginalName(outcome.FinishReason));
        }
        if (expect.TryGetProperty("usage", out var usage))
        {
            Assert.NotNull(outcome.Usage);
            foreach (var property in usage.EnumerateObject())
            {
                var field = Usage.Descriptor.Fields.InDeclarationOrder().Single(f => f.JsonName == property.Name);
                Assert.True(property.Value.GetInt32() == (int)field.Accessor.GetValue(outcome.Usage),
                    $"usage.{property.Name}: expected {property.Value.GetInt32()}, got {outcome.Usage}");
            }
        }
        if (expect.TryGetProperty("toolCalls", out var toolCalls))
        {
            var expected = toolCalls.EnumerateArray()
                .Select(t => JsonParser.Default.Parse<ToolCall>(t.GetRawText()))
                .ToList();
            Assert.Equal(expected.Count, outcome.ToolCalls.Count);
            foreach (var (want, got) in expected.Zip(outcome.ToolCalls))
            {
                Assert.Equal(want.Id, got.Id);
                Assert.Equal(want.Name, got.Name);
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(want.ArgumentsJson), JsonNode.Parse(got.ArgumentsJson)),
                    $"arguments {got.ArgumentsJson}, want {want.ArgumentsJson}");
            }
        }
        if (expect.TryGetProperty("servedBy", out var servedBy))
        {
            Assert.Equal(JsonParser.Default.Parse<ServedBy>(servedBy.GetRawText()), outcome.ServedBy);
        }
    }

    private static async Task<Outcome> CompleteAsync(SidecarChannel channel, CompleteRequest request, DateTime? deadline, int cancelAfterMs)
    {
        using var cts = new CancellationTokenSource();
        if (cancelAfterMs > 0)
        {
            cts.CancelAfter(cancelAfterMs);
        }
        try
        {
            var response = await channel.Completions.CompleteAsync(request, deadline: deadline, cancellationToken: cts.Token);
            Assert.Equal(Role.Assistant, response.Message?.Role);
            return new Outcome(response.Message?.Content ?? "", 0, response.FinishReason, response.Usage, [.. response.Message?.ToolCalls ?? []], response.ServedBy);
        }
        catch (RpcException ex)
        {
            return Failed(ex);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // A client that surfaces its caller's cancellation as OperationCanceledException.
            return Failed(new RpcException(new Status(StatusCode.Cancelled, "cancelled by the caller")));
        }
    }

    private static Outcome Failed(RpcException error) => new("", 0, FinishReason.Unspecified, null, [], null, error);

    private static async Task<Outcome> StreamAsync(SidecarChannel channel, CompleteRequest request, DateTime? deadline, int cancelAfterChunks)
    {
        using var cts = new CancellationTokenSource();
        using var call = channel.Completions.StreamComplete(request, deadline: deadline, cancellationToken: cts.Token);
        var chunks = new List<CompleteChunk>();
        RpcException? error = null;
        try
        {
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(CancellationToken.None))
            {
                if (chunks.Count > 0)
                {
                    var previous = chunks[^1];
                    Assert.True(previous.FinishReason == FinishReason.Unspecified && previous.Usage is null && previous.ServedBy is null,
                        $"contract: chunk {chunks.Count} carried finish_reason/usage/served_by but was not the last chunk");
                }
                chunks.Add(chunk);
                if (cancelAfterChunks > 0 && chunks.Count == cancelAfterChunks)
                {
                    await cts.CancelAsync();
                }
            }
        }
        catch (RpcException ex)
        {
            error = ex;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            error = new RpcException(new Status(StatusCode.Cancelled, "cancelled by the caller"));
        }
        if (cancelAfterChunks > 0)
        {
            Assert.True(chunks.Count >= cancelAfterChunks, $"the stream ended after {chunks.Count} chunks, before the client could cancel");
        }
        var toolCalls = new SortedDictionary<int, ToolCall>();
        foreach (var delta in chunks.SelectMany(ch => ch.ToolCallDeltas))
        {
            if (!toolCalls.TryGetValue(delta.Index, out var call_))
            {
                toolCalls[delta.Index] = call_ = new ToolCall();
            }
            if (delta.Id.Length > 0)
            {
                call_.Id = delta.Id;
            }
            if (delta.Name.Length > 0)
            {
                call_.Name = delta.Name;
            }
            call_.ArgumentsJson += delta.ArgumentsDelta;
        }
        var last = chunks.LastOrDefault();
        return new Outcome(
            string.Concat(chunks.Select(ch => ch.ContentDelta)),
            chunks.Count(ch => ch.ContentDelta.Length > 0 || ch.ToolCallDeltas.Count > 0),
            last?.FinishReason ?? FinishReason.Unspecified,
            last?.Usage,
            [.. toolCalls.Values],
            last?.ServedBy,
            error);
    }

    /// <summary>"DEADLINE_EXCEEDED" for StatusCode.DeadlineExceeded.</summary>
    private static string CodeName(StatusCode code) =>
        string.Concat(code.ToString().Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + ch : ch.ToString())).ToUpperInvariant();

    /// <summary>The proto name of an enum value ("FINISH_REASON_STOP").</summary>
    private static string OriginalName(FinishReason value) =>
        CompletionsReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>("FinishReason")
            .FindValueByNumber((int)value).Name;

    [ConformanceFact]
    public async Task Example_StreamAsync_PrintsTheEchoedAnswer()
    {
        Daemon.AssertAvailable();
        var output = new StringWriter();

        await Example.Program.StreamAsync(daemon.Channel!, "streamed through dotnet", output).WaitAsync(CallTimeout);

        Assert.Matches(@"^streamed through dotnet\n\[Stop, \d+ tokens\]\n$", output.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void CodeName_MatchesTheGrpcSpellings()
    {
        Assert.Equal("DEADLINE_EXCEEDED", CodeName(StatusCode.DeadlineExceeded));
        Assert.Equal("NOT_FOUND", CodeName(StatusCode.NotFound));
        Assert.Equal("UNAUTHENTICATED", CodeName(StatusCode.Unauthenticated));
        Assert.Equal("CANCELLED", CodeName(StatusCode.Cancelled));
    }

    [Fact]
    public void Cases_AreAllUnderstoodByThisRunner()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(CasesPath));

        Assert.Empty(UnknownKeys(document.RootElement, FileKeys));
        var cases = LoadCases();
        Assert.Equal(cases.Count, cases.Select(c => c.GetProperty("name").GetString()).Distinct().Count());
        Assert.All(cases, c => Assert.Empty(CaseProblems(c)));
    }

    [Fact]
    public void Cases_AllParseAsCompleteRequests()
    {
        var cases = LoadCases();

        Assert.NotEmpty(cases);
        Assert.All(cases, c => JsonParser.Default.Parse<CompleteRequest>(c.GetProperty("request").GetRawText()));
    }
}
