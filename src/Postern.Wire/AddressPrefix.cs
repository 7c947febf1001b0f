using System.Net;
using System.Net.Sockets;

namespace Postern.Wire;

/// <summary>An IPv4 or IPv6 prefix (CIDR) that matches raw address bytes as they lie in a
/// packet, without an IPAddress per packet.</summary>
public sealed class AddressPrefix
{
    private readonly byte[] _network;

    private AddressPrefix(byte[] network, int length)
    {
        _network = network;
        Length = length;
    }

    public int AddressLength => _network.Length;

    public int Length { get; }

    public static bool TryParse(string text, out AddressPrefix? prefix)
    {
        prefix = null;
        string addressText = text.Trim();
        int length = -1;
        int slash = addressText.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!int.TryParse(addressText.AsSpan(slash + 1), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out length))
            {
                return false;
            }
            addressText = addressText.Substring(0, slash);
        }
        // IPAddress.TryParse also takes the old short IPv4 forms ("1.2.3" is 1.2.0.3) and reads a
        // part with a leading zero as octal ("10.010.0.0" is 10.8.0.0); an admin who wrote either
        // meant something else, so IPv4 must be four decimal parts, as inet_pton takes them.
        bool looksIpv4 = !addressText.Contains(':', StringComparison.Ordinal);
        if (looksIpv4)
        {
            string[] parts = addressText.Split('.');
            if (parts.Length != 4 || !addressText.All(c => char.IsAsciiDigit(c) || c == '.') ||
                parts.Any(part => part.Length > 1 && part[0] == '0'))
            {
                return false;
            }
        }
        if (!IPAddress.TryParse(addressText, out IPAddress? address) ||
            address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) ||
            (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            return false;
        }
        byte[] bytes = address.GetAddressBytes();
        int maximum = bytes.Length * 8;
        if (length < 0)
        {
            length = maximum;
        }
        if (length > maximum)
        {
            return false;
        }
        // The host bits are cleared so that 192.0.2.7/24 means 192.0.2.0/24.
        for (int bit = length; bit < maximum; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        prefix = new AddressPrefix(bytes, length);
        return true;
    }

    public bool Contains(ReadOnlySpan<byte> address)
    {
        if (address.Length != _network.Length)
        {
            return false;
        }
        int whole = Length / 8;
        if (!address.Slice(0, whole).SequenceEqual(_network.AsSpan(0, whole)))
        {
            return false;
        }
        int rest = Length % 8;
        if (rest == 0)
        {
            return true;
        }
        byte mask = (byte)(0xFF << (8 - rest));
        return (address[whole] & mask) == _network[whole];
    }

    public override string ToString() => new IPAddress(_network) + "/" + Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
