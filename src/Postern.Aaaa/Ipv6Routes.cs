using System.Globalization;

namespace Postern.Aaaa;

/// <summary>Reads /proc/net/ipv6_route for a usable IPv6 default route.</summary>
public static class Ipv6Routes
{
    public const string ProcPath = "/proc/net/ipv6_route";

    // include/uapi/linux/route.h
    private const uint RTF_UP = 0x0001;
    private const uint RTF_REJECT = 0x0200;

    /// <summary>True when some table has ::/0 up, not a reject (unreachable/prohibit) route, and
    /// not on the loopback device. Lines: destination, prefix length, source, source length,
    /// next hop, metric, references, use, flags, device.</summary>
    public static bool HasDefaultRoute(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || fields[0].Any(c => c != '0') || fields[1] != "00" ||
                !uint.TryParse(fields[8], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint flags))
            {
                continue;
            }
            if ((flags & RTF_UP) != 0 && (flags & RTF_REJECT) == 0 && fields[9] != "lo")
            {
                return true;
            }
        }
        return false;
    }

    public static bool HasDefaultRoute()
    {
        try
        {
            return HasDefaultRoute(File.ReadLines(ProcPath));
        }
        catch (IOException)
        {
            // No IPv6 in this kernel: no IPv6 route either.
            return false;
        }
    }
}
