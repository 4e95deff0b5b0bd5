using System.Net;
using System.Net.Sockets;

namespace Sluice.Server.Embedded;

internal static class LoopbackPort
{
    /// <summary>A port that was free a moment ago; another process may still take it before we bind it.</summary>
    public static int FindFree()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
