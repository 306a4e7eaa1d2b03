namespace Sidecar.Clients;

/// <summary>
/// Tells <see cref="UpstreamResponseLimits"/> that the requests sent from the current async flow expect a
/// server-sent event stream. The SDK builds the HTTP request itself, and nothing on it says whether its
/// body will be buffered whole or read event by event; the provider knows, and says so here.
/// </summary>
internal static class StreamedResponse
{
    private static readonly AsyncLocal<bool> Flag = new();

    public static bool Expected => Flag.Value;

    /// <summary>Marks the current async flow (an async method and what it awaits; it reverts when the method returns).</summary>
    public static void Expect() => Flag.Value = true;
}
