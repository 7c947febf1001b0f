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

    /// <summary>HOST, HOST:PORT, [V6] or [V6]:PORT; a bare IPv6 address without brackets is
    /// refused because its last group could be read as a port.</summary>
    public static bool TrySplit(string text, int defaultPort, out string host, out int port, out string? problem)
    {
        host = "";
        port = defaultPort;
        problem = null;
        string portText = "";
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                problem = $"'{text}' has no closing ']'";
                return false;
            }
            host = text.Substring(1, close - 1);
            string after = text.Substring(close + 1);
            if (after.Length > 0)
            {
                if (!after.StartsWith(':'))
                {
                    problem = $"'{text}': expected :PORT after ']'";
                    return false;
                }
                portText = after.Substring(1);
            }
            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"'{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && text.IndexOf(':', colon + 1) >= 0)
            {
                problem = $"'{text}': put an IPv6 address in brackets, as in [2001:db8::1]:3478";
                return false;
            }
            host = colon < 0 ? text : text.Substring(0, colon);
            portText = colon < 0 ? "" : text.Substring(colon + 1);
        }
        if (host.Length == 0)
        {
            problem = $"'{text}' has no host";
            return false;
        }
        if (portText.Length > 0 &&
            (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            problem = $"'{portText}' is not a port (1 to 65535)";
            return false;
        }
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
