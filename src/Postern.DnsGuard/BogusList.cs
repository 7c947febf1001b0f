using Postern.Wire;

namespace Postern.DnsGuard;

/// <summary>Addresses and prefixes known to be forged (IPv4 and IPv6), from user files: one
/// address or CIDR prefix a line, '#' starts a comment. An answer that carries one in an A or
/// AAAA record is never accepted unless its name is allowed.</summary>
public sealed class BogusList
{
    private readonly AddressPrefix[] _ipv4;
    private readonly AddressPrefix[] _ipv6;

    public BogusList(IEnumerable<AddressPrefix> prefixes)
    {
        AddressPrefix[] all = prefixes.ToArray();
        _ipv4 = all.Where(p => p.AddressLength == 4).ToArray();
        _ipv6 = all.Where(p => p.AddressLength == 16).ToArray();
    }

    public static BogusList Empty { get; } = new(Array.Empty<AddressPrefix>());

    public int Count => _ipv4.Length + _ipv6.Length;

    public bool Contains(ReadOnlySpan<byte> address)
    {
        AddressPrefix[] list = address.Length == 4 ? _ipv4 : _ipv6;
        foreach (AddressPrefix prefix in list)
        {
            if (prefix.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Reads one list file; a line that is not an address or prefix is named in the
    /// exception's message (file and line number), so the daemon refuses to start on it.</summary>
    public static List<AddressPrefix> ReadFile(string path)
    {
        var prefixes = new List<AddressPrefix>();
        int number = 0;
        foreach (string raw in File.ReadLines(path))
        {
            number++;
            int hash = raw.IndexOf('#', StringComparison.Ordinal);
            string line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (!AddressPrefix.TryParse(line, out AddressPrefix? prefix))
            {
                throw new FormatException($"{path} line {number}: '{line}' is not an IP address or CIDR prefix");
            }
            prefixes.Add(prefix!);
        }
        return prefixes;
    }
}
