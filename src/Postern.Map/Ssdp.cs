using System.Text;

namespace Postern.Map;

/// <summary>SSDP discovery of an Internet Gateway Device (UPnP Device Architecture 1.1, section
/// 1.3): the M-SEARCH request, and the unicast answer's LOCATION (where its description is) and ST.
/// An answer is a few hundred bytes of HTTP-like header lines; anything else is rejected.</summary>
public static class Ssdp
{
    public const string MulticastAddress = "239.255.255.250";
    public const int Port = 1900;
    public const int MaxResponseLength = 2048;

    /// <summary>Seconds a device may wait before answering (MX); the search waits a little longer.</summary>
    public const int Mx = 2;

    public static readonly string[] SearchTargets =
    {
        "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
    };

    public static byte[] SearchRequest(string searchTarget) => Encoding.ASCII.GetBytes(
        "M-SEARCH * HTTP/1.1\r\n" +
        $"HOST: {MulticastAddress}:{Port}\r\n" +
        "MAN: \"ssdp:discover\"\r\n" +
        $"MX: {Mx}\r\n" +
        $"ST: {searchTarget}\r\n" +
        "\r\n");

    /// <summary>Reads a search answer: status 200, an absolute http LOCATION, and an ST that is one
    /// of <see cref="SearchTargets"/>. False for anything else (a NOTIFY, another device type, a
    /// truncated or binary datagram).</summary>
    public static bool TryReadResponse(ReadOnlySpan<byte> datagram, out Uri? location, out string? searchTarget)
    {
        location = null;
        searchTarget = null;
        if (datagram.Length == 0 || datagram.Length > MaxResponseLength)
        {
            return false;
        }
        foreach (byte b in datagram)
        {
            if (b is 0 or >= 0x80)
            {
                return false;
            }
        }
        string text = Encoding.ASCII.GetString(datagram);
        string[] lines = text.Split('\n');
        string status = lines[0].TrimEnd('\r');
        if (!(status.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) || status.StartsWith("HTTP/1.0 200", StringComparison.Ordinal)))
        {
            return false;
        }
        string? locationText = null;
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("LOCATION", StringComparison.OrdinalIgnoreCase))
            {
                locationText = value;
            }
            else if (name.Equals("ST", StringComparison.OrdinalIgnoreCase))
            {
                searchTarget = value;
            }
        }
        if (searchTarget is null || Array.IndexOf(SearchTargets, searchTarget) < 0)
        {
            searchTarget = null;
            return false;
        }
        if (locationText is null || !Uri.TryCreate(locationText, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            searchTarget = null;
            return false;
        }
        location = uri;
        return true;
    }
}
