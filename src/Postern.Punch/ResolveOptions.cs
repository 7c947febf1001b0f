using System.Globalization;
using System.Net;

namespace Postern.Punch;

/// <summary>postern-punch connect --resolve ZONE --peer-key KEY --wireguard IFACE: the peer's
/// endpoint from DNS-SD, handed to WireGuard (no rendezvous, no punch of our own: with both sides
/// registered and both setting each other's endpoint, WireGuard's own packets open both NATs when
/// their mappings are endpoint-independent).</summary>
public sealed record ResolveOptions(string Zone, string Interface, string PeerKey, IPEndPoint? DnsServer)
{
    /// <summary>wg's arguments: the peer's endpoint and the keepalive that holds the NAT open.</summary>
    public IReadOnlyList<string> Arguments(IPEndPoint endpoint) => new[]
    {
        "set", Interface, "peer", PeerKey, "endpoint", Endpoints.Format(endpoint),
        "persistent-keepalive", WireGuardHandoff.PersistentKeepalive.ToString(CultureInfo.InvariantCulture),
    };
}
