namespace Sidecar.OpenAIHttp;

/// <summary>The body is over the door's receive limit; nothing of it was parsed.</summary>
internal sealed class RequestTooLargeException(long limit)
    : Exception($"The request body is over {limit} bytes, twice Sidecar:Limits:MaxRequestBytes: send less.");
