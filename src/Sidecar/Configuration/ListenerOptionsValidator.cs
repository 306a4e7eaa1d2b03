namespace Sidecar.Configuration;

/// <summary>The socket, the TCP ports, the OpenAI-compatible door and shutdown (docs/design.md, "Processes, ports and files").</summary>
internal sealed class ListenerOptionsValidator : IOptionsValidator
{
    public void Validate(SidecarOptions options, string p, OptionsProblems problems)
    {
        if (string.IsNullOrWhiteSpace(options.Socket))
        {
            problems.Add($"{p}:Socket must name a socket path.");
        }
        else if (!Path.IsPathFullyQualified(options.Socket))
        {
            problems.Add($"{p}:Socket must be an absolute path (got '{options.Socket}').");
        }

        if (!TryParseMode(options.SocketMode, out _))
        {
            problems.Add($"{p}:SocketMode must be an octal file mode such as 0660 (got '{options.SocketMode}').");
        }

        problems.Port($"{p}:HealthPort", options.HealthPort);
        problems.Port($"{p}:HttpPort", options.HttpPort);
        if (options.HealthPort != 0 && options.HealthPort == options.HttpPort)
        {
            problems.Add($"{p}:HealthPort and {p}:HttpPort must differ (a cleartext port speaks HTTP/2 or HTTP/1.1, not both).");
        }

        ValidateOpenAIHttp(options, p, problems);

        if (options.PortMaxConnections is < 1 or > 10_000)
        {
            problems.Add($"{p}:PortMaxConnections must be between 1 and 10000 (got {options.PortMaxConnections}).");
        }

        if (options.PortMaxRequests is < 1 or > 100_000)
        {
            problems.Add($"{p}:PortMaxRequests must be between 1 and 100000 (got {options.PortMaxRequests}).");
        }

        if (!System.Net.IPAddress.TryParse(options.HealthAddress, out _))
        {
            problems.Add($"{p}:HealthAddress must be an IP address (got '{options.HealthAddress}').");
        }

        if (options.ShutdownGrace < TimeSpan.Zero)
        {
            problems.Add($"{p}:ShutdownGrace must not be negative.");
        }
    }

    /// <summary>An octal file mode such as <c>0660</c>, as <see cref="SidecarOptions.SocketMode"/> spells it.</summary>
    internal static bool TryParseMode(string? mode, out UnixFileMode result)
    {
        result = default;
        if (string.IsNullOrEmpty(mode) || mode.Length > 4 || mode.Any(c => c is < '0' or > '7'))
        {
            return false;
        }

        result = (UnixFileMode)Convert.ToInt32(mode, 8);
        return true;
    }

    private static void ValidateOpenAIHttp(SidecarOptions options, string p, OptionsProblems problems)
    {
        var openAI = options.OpenAI;
        problems.Port($"{p}:OpenAI:Port", openAI.Port);
        if (openAI.Port != 0 && (openAI.Port == options.HealthPort || openAI.Port == options.HttpPort))
        {
            problems.Add($"{p}:OpenAI:Port must differ from {p}:HealthPort and {p}:HttpPort (got {openAI.Port}).");
        }

        if (openAI.Socket is { Length: > 0 } socket)
        {
            if (!Path.IsPathFullyQualified(socket))
            {
                problems.Add($"{p}:OpenAI:Socket must be an absolute path, or empty to turn it off (got '{socket}').");
            }
            else if (string.Equals(Path.GetFullPath(socket), options.Socket is { Length: > 0 } grpc && Path.IsPathFullyQualified(grpc) ? Path.GetFullPath(grpc) : null, StringComparison.Ordinal))
            {
                problems.Add($"{p}:OpenAI:Socket must differ from {p}:Socket (the gRPC socket speaks HTTP/2, this one HTTP/1.1).");
            }
        }
    }
}
