using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;

namespace Postern.Punch;

/// <summary>A --server HOST[:PORT]: an IP address ([v6] in brackets) or a name, port 3478 unless
/// given.</summary>
public sealed record ServerAddress(string Host, int Port)
{
    public string Canonical => ServerChoice.Canonical(Host, Port);

    public override string ToString() => Canonical;

    public static ServerAddress? Parse(string text, out string? problem)
    {
        if (!TrySplit(text, ServerChoice.DefaultPort, out string host, out int port, out problem))
        {
            problem = "--server: " + problem;
            return null;
        }
        return new ServerAddress(host, port);
    }

    /// <summary>HOST, HOST:PORT, [V6] or [V6]:PORT (<see cref="HostEndpoint.TrySplit"/>).</summary>
    public static bool TrySplit(string text, int defaultPort, out string host, out int port, out string? problem) =>
        HostEndpoint.TrySplit(text, defaultPort, out host, out port, out problem);

    /// <summary>The server's address, of <paramref name="family"/> when one is asked for (a name
    /// with no address of that family is an error).</summary>
    public IPEndPoint Resolve(AddressFamily? family = null)
    {
        IPAddress[] addresses = IPAddress.TryParse(Host, out IPAddress? literal) ? new[] { literal } : Dns.GetHostAddresses(Host);
        foreach (IPAddress address in addresses)
        {
            if (family is null ? address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 : address.AddressFamily == family)
            {
                return new IPEndPoint(address, Port);
            }
        }
        throw new IOException($"{Host} has no {(family == AddressFamily.InterNetworkV6 ? "IPv6 " : family == AddressFamily.InterNetwork ? "IPv4 " : "")}address");
    }
}
