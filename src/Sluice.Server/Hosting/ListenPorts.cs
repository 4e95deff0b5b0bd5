using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sluice.Server.Hosting;

/// <summary>
/// Finds, before anything starts, a listen address (from <c>--urls</c>) whose port another program already holds, so the
/// server can say so in one line instead of starting PostgreSQL and then failing in Kestrel. A port taken in the moment
/// between this check and Kestrel's bind still fails in Kestrel, and is reported the same way by the caller.
/// </summary>
internal static class ListenPorts
{
    /// <summary>The first of <paramref name="urls"/> (separated by ';') whose port cannot be bound, or null.</summary>
    public static string? FindTaken(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                continue; // Kestrel reports it
            }
            if (address.IsUnixPipe || address.IsNamedPipe || address.Port == 0)
                continue;
            foreach (var endpoint in Endpoints(address))
            {
                if (IsTaken(endpoint))
                    return url;
            }
        }
        return null;
    }

    /// <summary>The one line for a taken port: which address, and the switch that picks another.</summary>
    public static string Message(string url)
    {
        var port = BindingAddress.Parse(url).Port;
        var other = port == 8090 ? 8091 : 8090;
        return $"Port {port.ToString(CultureInfo.InvariantCulture)} is already in use ({url}): stop the program listening there, "
            + $"or choose another port with --urls http://localhost:{other.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>What Kestrel binds for an address: both loopbacks for localhost, the wildcard for * and + and host names, else the IP.</summary>
    private static IEnumerable<IPEndPoint> Endpoints(BindingAddress address)
    {
        if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return [new IPEndPoint(IPAddress.Loopback, address.Port), new IPEndPoint(IPAddress.IPv6Loopback, address.Port)];
        var host = address.Host.TrimStart('[').TrimEnd(']');
        if (IPAddress.TryParse(host, out var ip))
            return [new IPEndPoint(ip, address.Port)];
        return [new IPEndPoint(IPAddress.Any, address.Port), new IPEndPoint(IPAddress.IPv6Any, address.Port)];
    }

    private static bool IsTaken(IPEndPoint endpoint)
    {
        if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6)
            return false;
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = false;
            socket.Bind(endpoint);
            socket.Listen();
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
        catch (SocketException)
        {
            return false; // no such address here (no IPv6, say): Kestrel decides
        }
    }
}
