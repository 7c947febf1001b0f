using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Postern.Punch;

/// <summary>The addresses a host announces as LAN candidates: its own unicast addresses of the
/// family, the one its route to the server uses first, never loopback or link-local, and none of
/// the interface the path is for (a WireGuard interface's own tunnel addresses are no way to reach
/// it: a probe to one would travel inside an old tunnel, or nowhere).</summary>
public static class LocalAddresses
{
    public const int MaxAnnounced = 4;

    /// <summary>The source address the kernel picks towards <paramref name="server"/>, with <paramref name="port"/>.</summary>
    public static IPEndPoint RouteSource(IPEndPoint server, int port)
    {
        using var probe = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(server);
        return new IPEndPoint(Endpoints.Plain(((IPEndPoint)probe.LocalEndPoint!).Address), port);
    }

    public static List<IPEndPoint> Find(IPEndPoint server, int port, string? skipInterface = null)
    {
        var found = new List<IPEndPoint>();
        IPEndPoint first = RouteSource(server, port);
        found.Add(first);
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus == OperationalStatus.Down || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback ||
                    nic.Name == skipInterface)
                {
                    continue;
                }
                foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    IPAddress address = unicast.Address;
                    if (address.AddressFamily != server.AddressFamily || IPAddress.IsLoopback(address) ||
                        address.IsIPv6LinkLocal || found.Count >= MaxAnnounced || found.Exists(e => e.Address.Equals(address)))
                    {
                        continue;
                    }
                    found.Add(new IPEndPoint(address, port));
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Only the route's source, then.
        }
        return found;
    }
}
