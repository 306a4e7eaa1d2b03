using System.Text.Json.Nodes;

namespace Sidecar.FakeUpstream;

/// <summary>One request the fake received, and how it ended.</summary>
public sealed class RecordedRequest
{
    private readonly TaskCompletionSource<bool> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RecordedRequest(string model, bool stream, string? authorization, string? traceparent, JsonObject body, IReadOnlyDictionary<string, string>? headers = null)
    {
        Headers = headers ?? new Dictionary<string, string>();
        Model = model;
        Stream = stream;
        Authorization = authorization;
        Traceparent = traceparent;
        Body = body;
    }

    public string Model { get; }

    public bool Stream { get; }

    /// <summary>The Authorization header as sent (tests check the key reached the upstream, and only here).</summary>
    public string? Authorization { get; }

    public string? Traceparent { get; }

    public JsonObject Body { get; }

    /// <summary>Every request header as it arrived (names lower-case, repeated values joined by ", "), so a
    /// test can assert exactly what reached the upstream.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Completes when the request ends: true when the client went away before the fake finished.</summary>
    public Task<bool> Ended => _ended.Task;

    internal void End(bool aborted) => _ended.TrySetResult(aborted);
}
