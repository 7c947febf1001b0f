namespace Postern.Wire;

/// <summary>Resource record types Postern names (IANA DNS parameters).</summary>
public static class DnsType
{
    public const ushort A = 1;
    public const ushort SOA = 6;
    public const ushort AAAA = 28;
    public const ushort OPT = 41;
    public const ushort SVCB = 64;
    public const ushort HTTPS = 65;
    public const ushort ANY = 255;

    public const ushort ClassIN = 1;

    /// <summary>Parses a type mnemonic (AAAA, HTTPS, SVCB, ...), the RFC 3597 form TYPE65, or a
    /// decimal number.</summary>
    public static bool TryParse(string text, out ushort type)
    {
        string upper = text.Trim().ToUpperInvariant();
        switch (upper)
        {
            case "A": type = A; return true;
            case "AAAA": type = AAAA; return true;
            case "SVCB": type = SVCB; return true;
            case "HTTPS": type = HTTPS; return true;
            case "ANY": type = ANY; return true;
            case "SOA": type = SOA; return true;
        }
        string digits = upper.StartsWith("TYPE", StringComparison.Ordinal) ? upper.Substring(4) : upper;
        return ushort.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out type) && type != 0;
    }

    public static string Name(ushort type) => type switch
    {
        A => "A",
        SOA => "SOA",
        AAAA => "AAAA",
        OPT => "OPT",
        SVCB => "SVCB",
        HTTPS => "HTTPS",
        ANY => "ANY",
        _ => "TYPE" + type.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
