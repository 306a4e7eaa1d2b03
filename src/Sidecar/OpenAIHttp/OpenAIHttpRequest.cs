using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Sidecar.Errors;

namespace Sidecar.OpenAIHttp;

/// <summary>What the OpenAI-compatible door reads from an HTTP request besides the JSON body's fields.</summary>
internal static class OpenAIHttpRequest
{
    /// <summary>The caller's deadline, as <c>X-Sidecar-Timeout</c>: seconds (<c>30</c>, <c>0.5</c>) or with a unit (<c>500ms</c>, <c>30s</c>, <c>2m</c>).</summary>
    public const string TimeoutHeader = "X-Sidecar-Timeout";

    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>The key_ref, sent where an OpenAI SDK sends its API key; null when there is none.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[Scheme.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    /// <summary>Parses <see cref="TimeoutHeader"/>; null when absent. Throws InvalidRequest when it is malformed.</summary>
    public static TimeSpan? Timeout(HttpRequest request)
    {
        var value = request.Headers[TimeoutHeader].ToString().Trim();
        if (value.Length == 0)
        {
            return null;
        }

        var (number, scale) = value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => (value[..^2], 0.001),
            _ when value.EndsWith('s') => (value[..^1], 1.0),
            _ when value.EndsWith('m') => (value[..^1], 60.0),
            _ => (value, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || amount <= 0
            || amount * scale > MaxTimeout.TotalSeconds)
        {
            throw SidecarErrors.InvalidRequest([new(TimeoutHeader, "must be a positive duration up to a day, such as 30, 500ms, 30s or 2m")]);
        }

        return TimeSpan.FromSeconds(amount * scale);
    }

    /// <summary>
    /// Reads the whole body, refusing more than twice <paramref name="maxRequestBytes"/> before reading it
    /// (as gRPC does with its receive limit): between the two, the validator names the size precisely.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext context, int maxRequestBytes, CancellationToken cancellationToken)
    {
        var limit = (long)maxRequestBytes * 2;
        if (context.Request.ContentLength > limit)
        {
            throw new RequestTooLargeException(limit);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        var reader = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (result.Buffer.Length > limit)
                {
                    reader.AdvanceTo(result.Buffer.End);
                    throw new RequestTooLargeException(limit);
                }

                if (result.IsCompleted)
                {
                    var body = result.Buffer.ToArray();
                    reader.AdvanceTo(result.Buffer.End);
                    return body;
                }

                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new RequestTooLargeException(limit);
        }
    }
}
