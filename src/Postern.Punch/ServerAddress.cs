using System.Globalization;
using System.Net;
using System.Net.Sockets;

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
