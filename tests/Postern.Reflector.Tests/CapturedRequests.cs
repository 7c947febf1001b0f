namespace Postern.Reflector.Tests;

/// <summary>Requests captured from the real Debian clients (coturn 4.6 utilities) on loopback,
/// through a relay that printed each datagram.</summary>
internal static class CapturedRequests
{
    /// <summary>`turnutils_stunclient 127.0.0.1`: a bare RFC 5389 Binding request.</summary>
    public static readonly byte[] StunClientBinding = Hex.Parse("000100002112a44219fe1bb6d12878bc883b1293");

    /// <summary>`turnutils_natdiscovery -f`: test III, CHANGE-REQUEST with change IP and change port.</summary>
    public static readonly byte[] NatDiscoveryChangeIpAndPort = Hex.Parse("000100082112a442fd83a012134fb1c3b911a7b90003000400000006");

    /// <summary>`turnutils_stunclient -f`: RESPONSE-PORT 56792, then CHANGE-REQUEST ip and port.</summary>
    public static readonly byte[] StunClientResponsePortAndChange = Hex.Parse("000100102112a442ff999652dbbfa4ad063675b700270004ddd800000003000400000006");
}
