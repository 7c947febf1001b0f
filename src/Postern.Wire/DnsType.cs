namespace Postern.Wire;

/// <summary>Resource record types Postern names (IANA DNS parameters).</summary>
public static class DnsType
{
    public const ushort A = 1;
    public const ushort NS = 2;
    public const ushort CNAME = 5;
    public const ushort SOA = 6;
    public const ushort PTR = 12;
    public const ushort MX = 15;
    public const ushort TXT = 16;
    public const ushort AAAA = 28;
    public const ushort SRV = 33;
    public const ushort DNAME = 39;
    public const ushort OPT = 41;
    public const ushort SVCB = 64;
    public const ushort HTTPS = 65;
    public const ushort IXFR = 251;
    public const ushort AXFR = 252;
    public const ushort ANY = 255;

    public const ushort ClassIN = 1;

    private static readonly (ushort Type, string Name)[] s_names =
    {
        (A, "A"), (NS, "NS"), (CNAME, "CNAME"), (SOA, "SOA"), (PTR, "PTR"), (MX, "MX"), (TXT, "TXT"),
        (AAAA, "AAAA"), (SRV, "SRV"), (DNAME, "DNAME"), (OPT, "OPT"), (SVCB, "SVCB"), (HTTPS, "HTTPS"),
        (IXFR, "IXFR"), (AXFR, "AXFR"), (ANY, "ANY"),
    };

    /// <summary>Parses a type mnemonic (AAAA, HTTPS, SVCB, ...), the RFC 3597 form TYPE65, or a
    /// decimal number.</summary>
    public static bool TryParse(string text, out ushort type)
    {
        string upper = text.Trim().ToUpperInvariant();
        foreach ((ushort value, string name) in s_names)
        {
            if (name == upper)
            {
                type = value;
                return true;
            }
        }
        string digits = upper.StartsWith("TYPE", StringComparison.Ordinal) ? upper.Substring(4) : upper;
        return ushort.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out type) && type != 0;
    }

    public static string Name(ushort type)
    {
        foreach ((ushort value, string name) in s_names)
        {
            if (value == type)
            {
                return name;
            }
        }
        return "TYPE" + type.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
