using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;

namespace Postern.Reflector;

/// <summary>One address to listen on, written <c>udp:HOST:PORT</c> or <c>tcp:HOST:PORT</c> with an
/// IPv6 host in brackets (<c>tcp:[::]:3478</c>). HOST is an IP address; <c>[::]</c> takes IPv4 and
/// IPv6 alike.</summary>
public sealed record ListenEndpoint(ListenTransport Transport, IPAddress Address, ushort Port)
{
    public bool IsWildcard => Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any);

    public static IReadOnlyList<ListenEndpoint> Defaults { get; } = new[]
    {
        // 3478 first: the first UDP listener is the one RFC 5780's --alternate pairs with.
        new ListenEndpoint(ListenTransport.Udp, IPAddress.IPv6Any, 3478),
        new ListenEndpoint(ListenTransport.Tcp, IPAddress.IPv6Any, 3478),
        new ListenEndpoint(ListenTransport.Udp, IPAddress.IPv6Any, 2727),
    };

    /// <summary>Parses one listen address; on failure <paramref name="error"/> is one sentence
    /// saying what is wrong.</summary>
    public static bool TryParse(string text, out ListenEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string scheme = colon < 0 ? "" : text.Substring(0, colon);
        ListenTransport transport;
        if (scheme.Equals("udp", StringComparison.OrdinalIgnoreCase))
        {
            transport = ListenTransport.Udp;
        }
        else if (scheme.Equals("tcp", StringComparison.OrdinalIgnoreCase))
        {
            transport = ListenTransport.Tcp;
        }
        else
        {
            error = $"listen address '{text}' must start with udp: or tcp: (for example udp:[::]:3478).";
            return false;
        }
        if (!TryParseAddressAndPort(text.Substring(colon + 1), out IPAddress? address, out ushort port, out string? inner))
        {
            error = $"listen address '{text}': {inner}";
            return false;
        }
        endpoint = new ListenEndpoint(transport, address!, port);
        error = null;
        return true;
    }

    /// <summary>Parses <c>HOST:PORT</c> with an IP address for HOST, IPv6 in brackets.</summary>
    public static bool TryParseAddressAndPort(string text, out IPAddress? address, out ushort port, out string? error)
    {
        address = null;
        port = 0;
        string host;
        string portText;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = "an IPv6 host goes in brackets followed by a port, as in [2001:db8::1]:3478.";
                return false;
            }
            host = text.Substring(1, close - 1);
            portText = text.Substring(close + 2);
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = "expected HOST:PORT, with an IPv6 host in brackets.";
                return false;
            }
            host = text.Substring(0, colon);
            portText = text.Substring(colon + 1);
        }
        if (!IPAddress.TryParse(host, out address) ||
            (address.AddressFamily != AddressFamily.InterNetwork && address.AddressFamily != AddressFamily.InterNetworkV6) ||
            (text.StartsWith('[') != (address.AddressFamily == AddressFamily.InterNetworkV6)))
        {
            address = null;
            error = $"'{host}' is not an IP address.";
            return false;
        }
        if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            address = null;
            error = $"'{portText}' is not a port number (0-65535).";
            return false;
        }
        error = null;
        return true;
    }

    public override string ToString() =>
        (Transport == ListenTransport.Udp ? "udp:" : "tcp:") + Format(Address, Port);

    public static string Format(IPAddress address, int port) => HostEndpoint.Format(new IPEndPoint(address, port));
}
