using System.Text.Json;
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
    private static readonly string CasesPath = Path.Combine(AppContext.BaseDirectory, "conformance", "cases.json");

    /// <summary>One channel for all cases, ready before the first.</summary>
    public sealed class DaemonFixture : IAsyncLifetime
    {
        public SidecarChannel? Channel { get; private set; }

        public async Task InitializeAsync()
        {
            if (Daemon.SocketPath is { } path)
            {
                Channel = SidecarChannel.Create(path, new SidecarChannelOptions { DefaultDeadline = TimeSpan.FromSeconds(30) });
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

    private sealed record Outcome(string Text, int ContentChunks, FinishReason FinishReason, Usage? Usage, List<ToolCall> ToolCalls);

    [ConformanceTheory]
    [MemberData(nameof(CaseNames))]
    public async Task Case_BehavesAsSpecified(string name)
    {
        Daemon.AssertAvailable();
        var channel = daemon.Channel!;
        var c = LoadCases().Single(x => x.GetProperty("name").GetString() == name);
        var expect = c.GetProperty("expect");
        var request = JsonParser.Default.Parse<CompleteRequest>(c.GetProperty("request").GetRawText());
        DateTime? deadline = c.TryGetProperty("deadlineMs", out var ms) ? DateTime.UtcNow.AddMilliseconds(ms.GetInt32()) : null;
        var cancelAfter = c.TryGetProperty("cancelAfterChunks", out var n) ? n.GetInt32() : 0;

        Outcome? outcome = null;
        RpcException? error = null;
        try
        {
            outcome = c.GetProperty("rpc").GetString() switch
            {
                "Complete" => await CompleteAsync(channel, request, deadline).WaitAsync(CallTimeout),
                "StreamComplete" => await StreamAsync(channel, request, deadline, cancelAfter).WaitAsync(CallTimeout),
                var rpc => throw new InvalidOperationException($"unknown rpc {rpc}"),
            };
        }
        catch (RpcException ex)
        {
            error = ex;
        }

        if (expect.TryGetProperty("code", out var code))
        {
            Assert.True(error is not null, $"expected {code.GetString()}, the call succeeded with {outcome}");
            Assert.Equal(code.GetString(), CodeName(error.StatusCode));
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
        if (expect.TryGetProperty("text", out var text))
        {
            Assert.Equal(text.GetString(), outcome!.Text);
        }
        if (expect.TryGetProperty("minChunks", out var minChunks))
        {
            Assert.True(outcome!.ContentChunks >= minChunks.GetInt32(), $"{outcome.ContentChunks} chunks < {minChunks.GetInt32()}");
        }
        if (expect.TryGetProperty("finishReason", out var finish))
        {
            Assert.Equal(finish.GetString(), OriginalName(outcome!.FinishReason));
        }
        if (expect.TryGetProperty("usage", out var usage))
        {
            Assert.NotNull(outcome!.Usage);
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
            Assert.Equal(expected, outcome!.ToolCalls);
        }
    }

    private static async Task<Outcome> CompleteAsync(SidecarChannel channel, CompleteRequest request, DateTime? deadline)
    {
        var response = await channel.Completions.CompleteAsync(request, deadline: deadline);
        return new Outcome(response.Message?.Content ?? "", 0, response.FinishReason, response.Usage, [.. response.Message?.ToolCalls ?? []]);
    }

    private static async Task<Outcome> StreamAsync(SidecarChannel channel, CompleteRequest request, DateTime? deadline, int cancelAfterChunks)
    {
        using var cts = new CancellationTokenSource();
        using var call = channel.Completions.StreamComplete(request, deadline: deadline, cancellationToken: cts.Token);
        var chunks = new List<CompleteChunk>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(CancellationToken.None))
        {
            chunks.Add(chunk);
            if (cancelAfterChunks > 0 && chunks.Count == cancelAfterChunks)
            {
                await cts.CancelAsync();
            }
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
            [.. toolCalls.Values]);
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
    public void Cases_AllParseAsCompleteRequests()
    {
        var cases = LoadCases();

        Assert.NotEmpty(cases);
        Assert.All(cases, c => JsonParser.Default.Parse<CompleteRequest>(c.GetProperty("request").GetRawText()));
    }
}
