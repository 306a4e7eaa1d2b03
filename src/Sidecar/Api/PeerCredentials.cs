using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Sidecar.Api;

/// <summary>
/// Who is on the other end of a Unix-socket connection, as the kernel says (<c>SO_PEERCRED</c>):
/// read once per connection, when it is accepted, so it cannot be spoofed by anything the caller sends.
/// </summary>
internal readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const string ItemKey = "sidecar.peer";
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>Reads the peer of a connected Unix socket; null where the kernel does not tell.</summary>
    public static PeerCredentials? Read(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || socket.AddressFamily != AddressFamily.Unix)
        {
            return null;
        }

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }: three 32-bit values.
        Span<byte> ucred = stackalloc byte[12];
        try
        {
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) != ucred.Length)
            {
                return null;
            }
        }
        catch (SocketException)
        {
            return null;
        }

        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }

    public static void Attach(ConnectionContext connection)
    {
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket && Read(socket) is { } peer)
        {
            connection.Items[ItemKey] = peer;
        }
    }

    public static PeerCredentials? Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var peer) == true && peer is PeerCredentials p
            ? p
            : null;
}
