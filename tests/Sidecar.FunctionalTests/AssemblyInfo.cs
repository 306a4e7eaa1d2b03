// The daemon and these tests run on Linux: Unix sockets, file modes, peer credentials.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
