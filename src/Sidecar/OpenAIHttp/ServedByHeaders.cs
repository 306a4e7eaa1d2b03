using Sidecar.V1;

namespace Sidecar.OpenAIHttp;

/// <summary>
/// The door's account of who answered (what <c>served_by</c> says on gRPC): the key ref, the upstream model
/// and the number of targets tried, as response headers, sent with the answer or a stream's first event
/// (docs/design.md, "Routing").
/// </summary>
internal static class ServedByHeaders
{
    public const string KeyRef = "X-Sidecar-Served-By";
    public const string Model = "X-Sidecar-Served-Model";
    public const string Attempts = "X-Sidecar-Attempts";

    public static void Write(HttpResponse response, ServedBy? served)
    {
        if (served is null)
        {
            return;
        }

        response.Headers[KeyRef] = served.KeyRef;
        response.Headers[Attempts] = served.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // A model name is the caller's or the configuration's: sent only when it is a valid header value.
        if (served.Model.Length > 0 && !served.Model.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            response.Headers[Model] = served.Model;
        }
    }
}
