using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sidecar.Hosting;

internal sealed class SocketFileException(string message) : Exception(message);
