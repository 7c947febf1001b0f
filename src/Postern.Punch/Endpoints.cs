using System.Globalization;
using System.Net;

namespace Postern.Punch;

/// <summary>IP:PORT as the punched line and the logs print it ([v6]:port), IPv4-mapped IPv6
/// shown as IPv4.</summary>
public static class Endpoints
{
    public static string Format(IPEndPoint endpoint)
    {
        IPAddress address = Plain(endpoint.Address);
        string port = endpoint.Port.ToString(CultureInfo.InvariantCulture);
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? "[" + address + "]:" + port
            : address + ":" + port;
    }

    public static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public static IPEndPoint Plain(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;
}
