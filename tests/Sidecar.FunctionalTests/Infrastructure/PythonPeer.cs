using System.Diagnostics;

namespace Sidecar.FunctionalTests;

/// <summary>
/// A caller in another process with another uid: Debian's python3-grpcio with the Python client's
/// generated stubs, run under <c>setpriv</c>. The kernel reports that uid to the daemon (SO_PEERCRED).
/// </summary>
internal static class PythonPeer
{
    private const string Script = """
        import sys, grpc
        sys.path.insert(0, sys.argv[1])
        from sidecar_client._gen.sidecar.v1 import completions_pb2 as pb, completions_pb2_grpc as rpc
        from sidecar_client._gen.google.rpc import status_pb2, error_details_pb2
        channel = grpc.insecure_channel("unix://" + sys.argv[2])
        stub = rpc.CompletionsStub(channel)
        for key_ref in sys.argv[3:]:
            request = pb.CompleteRequest(key_ref=key_ref, model="m", messages=[pb.Message(role=pb.ROLE_USER, content="hi")])
            try:
                stub.Complete(request, timeout=10)
                print(key_ref, "OK", flush=True)
            except grpc.RpcError as e:
                reason = ""
                for key, value in e.trailing_metadata() or ():
                    if key == "grpc-status-details-bin":
                        status = status_pb2.Status.FromString(value)
                        for detail in status.details:
                            info = error_details_pb2.ErrorInfo()
                            if detail.Unpack(info):
                                reason = info.reason
                print(key_ref, e.code().name, reason, flush=True)
        """;

    /// <summary>Copies the Python client's package next to the script, somewhere the other uid can read.</summary>
    public static string Prepare(string directory)
    {
        var source = Path.Combine(RepositoryRoot(), "clients", "python", "sidecar_client");
        var target = Path.Combine(directory, "py");
        foreach (var file in Directory.EnumerateFiles(source, "*.py", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, "sidecar_client", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        File.WriteAllText(Path.Combine(target, "peer.py"), Script);

        // Set modes outright: the process umask is nobody's business here.
        foreach (var dir in Directory.EnumerateDirectories(target, "*", SearchOption.AllDirectories).Prepend(target))
        {
            File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        }

        foreach (var file in Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("644", 8));
        }

        return target;
    }

    public static async Task<string[]> RunAsAsync(int uid, string clientDirectory, string socket, string[] keyRefs)
    {
        var start = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { $"--reuid={uid}", $"--regid={uid}", "--clear-groups", "/usr/bin/python3", "-B", Path.Combine(clientDirectory, "peer.py"), clientDirectory, socket })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var keyRef in keyRefs)
        {
            start.ArgumentList.Add(keyRef);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Daemon.Timeout);
        Assert.True(process.ExitCode == 0, $"the peer failed (is python3-grpcio installed? ./test.sh installs it): {await stderr}");
        return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sidecar.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Sidecar.sln not found above " + AppContext.BaseDirectory);
    }
}
