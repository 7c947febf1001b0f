using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Postern.Hosting;

/// <summary>HOST:PORT for a listening socket: an IPv4 address, an IPv6 address in brackets, or
/// "localhost" (127.0.0.1). Dotted quads only: "1.2.3" and octal-looking parts are refused, as
/// IPAddress.TryParse would read them otherwise.</summary>
public static class HostEndpoint
{
    public static bool TryParse(string text, [NotNullWhen(true)] out IPEndPoint? endpoint, [NotNullWhen(false)] out string? problem)
    {
        endpoint = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"'{text}' is not HOST:PORT (for example 127.0.0.1:9100 or [::1]:9100)";
            return false;
        }
        string host = text.Substring(0, colon);
        string portText = text.Substring(colon + 1);
        if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port))
        {
            problem = $"'{portText}' in '{text}' is not a port (0 to 65535)";
            return false;
        }
        IPAddress? address;
        if (host == "localhost")
        {
            address = IPAddress.Loopback;
        }
        else if (host.StartsWith('[') && host.EndsWith(']'))
        {
            if (!IPAddress.TryParse(host.AsSpan(1, host.Length - 2), out address) || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"'{host}' in '{text}' is not an IPv6 address";
                return false;
            }
        }
        else if (!IsDottedQuad(host) || !IPAddress.TryParse(host, out address))
        {
            problem = host.Contains(':')
                ? $"'{text}': an IPv6 address goes in brackets, as in [::1]:9100"
                : $"'{host}' in '{text}' is not an IPv4 address, [IPv6] address or localhost";
            return false;
        }
        endpoint = new IPEndPoint(address, port);
        problem = null;
        return true;
    }

    public static string Format(IPEndPoint endpoint) => endpoint.AddressFamily == AddressFamily.InterNetworkV6
        ? "[" + endpoint.Address + "]:" + endpoint.Port.ToString(CultureInfo.InvariantCulture)
        : endpoint.Address + ":" + endpoint.Port.ToString(CultureInfo.InvariantCulture);

    private static bool IsDottedQuad(string host)
    {
        string[] parts = host.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }
        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit) ||
                int.Parse(part, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }
        return true;
    }
}
