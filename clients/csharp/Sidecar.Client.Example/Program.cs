using Grpc.Core;
using Sidecar.V1;

namespace Sidecar.Client.Example;

/// <summary>
/// Streams one answer from the sidecar and prints it as it arrives:
/// <c>SIDECAR_SOCKET=/tmp/sidecar.sock dotnet run --project clients/csharp/Sidecar.Client.Example -- tell me a joke</c>
/// (or <c>-- agent</c> for <see cref="Agent"/>).
/// SIDECAR_KEY_REF (default "echo", the daemon's built-in echo provider) and SIDECAR_MODEL
/// (default "echo-1") choose the key reference and the model.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var prompt = args.Length > 0 ? string.Join(' ', args) : "hello from dotnet";
        using var sidecar = SidecarChannel.Create(); // $SIDECAR_SOCKET, else /var/run/sidecar/sidecar.sock
        try
        {
            await sidecar.WaitForReadyAsync(TimeSpan.FromSeconds(10));
            if (prompt == "agent")
            {
                using var client = new SidecarClient(sidecar, KeyRef(), Model());
                await Agent.RunAsync(client, Console.Out);
                return 0;
            }
            await StreamAsync(sidecar, prompt, Console.Out);
            return 0;
        }
        catch (RpcException ex)
        {
            Console.Error.WriteLine($"sidecar error {ex.StatusCode} reason={ex.GetErrorReason() ?? "-"}: {ex.Status.Detail}");
            return 1;
        }
        catch (TimeoutException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }
    }

    /// <summary>Streams the answer to <paramref name="prompt"/> into <paramref name="output"/>.</summary>
    public static async Task StreamAsync(SidecarChannel sidecar, string prompt, TextWriter output, CancellationToken cancellationToken = default)
    {
        var request = new CompleteRequest
        {
            KeyRef = KeyRef(),
            Model = Model(),
            Messages =
            {
                new Message { Role = Role.System, Content = "You are brief." },
                new Message { Role = Role.User, Content = prompt },
            },
        };
        using var call = sidecar.Completions.StreamComplete(request, cancellationToken: cancellationToken);
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            await output.WriteAsync(chunk.ContentDelta);
            if (chunk.FinishReason != FinishReason.Unspecified)
            {
                await output.WriteLineAsync($"\n[{chunk.FinishReason}, {chunk.Usage?.TotalTokens ?? 0} tokens]");
            }
        }
    }

    private static string KeyRef() => Environment.GetEnvironmentVariable("SIDECAR_KEY_REF") is { Length: > 0 } keyRef ? keyRef : "echo";

    private static string Model() => Environment.GetEnvironmentVariable("SIDECAR_MODEL") is { Length: > 0 } model ? model : "echo-1";
}
