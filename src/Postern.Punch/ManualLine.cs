using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Postern.Punch;

/// <summary>The classic copy-and-paste exchange's line: "Got my IP and Port: ('IP', PORT,
/// LOCALPORT)." out, and any line containing ('IP', PORT) or ('IP', PORT, LOCALPORT) in.</summary>
public static partial class ManualLine
{
    [GeneratedRegex(@"\('(?<ip>[^']+)', (?<port>\d+)(?:, (?<cport>\d+))?")]
    private static partial Regex Tuple();

    public static string Format(IPEndPoint mapped, int localPort) =>
        string.Create(CultureInfo.InvariantCulture,
            $"Got my IP and Port: ('{Endpoints.Plain(mapped.Address)}', {mapped.Port}, {localPort}).");

    /// <summary>The peer's public address and port from a pasted line; null and one sentence when
    /// the line has no such tuple.</summary>
    public static IPEndPoint? Parse(string line, out string? problem)
    {
        Match match = Tuple().Match(line);
        if (!match.Success)
        {
            problem = "the line has no ('IP', PORT) in it, as in ('203.0.113.7', 40060, 5000)";
            return null;
        }
        string ip = match.Groups["ip"].Value;
        // IPAddress.TryParse takes "203.0.113" and "0x7f.1" too: an IPv4 address here is four
        // decimal numbers, as the classic scripts print it.
        bool dotted = ip.Split('.') is { Length: 4 } parts && Array.TrueForAll(parts, p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));
        if (!IPAddress.TryParse(ip, out IPAddress? address) ||
            address.AddressFamily is not (System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6) ||
            (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !dotted))
        {
            problem = $"'{ip}' is not an IP address";
            return null;
        }
        if (!int.TryParse(match.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            problem = $"'{match.Groups["port"].Value}' is not a port (1 to 65535)";
            return null;
        }
        problem = null;
        return new IPEndPoint(Endpoints.Plain(address), port);
    }
}
