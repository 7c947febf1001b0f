using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Postern.Map;

/// <summary>The IPv4 default route's gateway, read from /proc/net/route (the gateway that
/// NAT-PMP and PCP are asked, RFC 6886 section 3).</summary>
public static class DefaultRoute
{
    public static IPAddress? Gateway(string path = "/proc/net/route")
    {
        try
        {
            return Parse(File.ReadAllLines(path));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The first line whose destination and mask are 0 and whose RTF_GATEWAY flag is
    /// set; the fields are hexadecimal in host (little-endian) order.</summary>
    public static IPAddress? Parse(IEnumerable<string> lines)
    {
        const int RTF_UP = 0x1, RTF_GATEWAY = 0x2;
        foreach (string line in lines.Skip(1))
        {
            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8 ||
                !uint.TryParse(fields[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint destination) ||
                !uint.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint gateway) ||
                !int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags) ||
                !uint.TryParse(fields[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint mask))
            {
                continue;
            }
            if (destination == 0 && mask == 0 && (flags & (RTF_UP | RTF_GATEWAY)) == (RTF_UP | RTF_GATEWAY) && gateway != 0)
            {
                Span<byte> bytes = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, gateway);
                return new IPAddress(bytes);
            }
        }
        return null;
    }
}
