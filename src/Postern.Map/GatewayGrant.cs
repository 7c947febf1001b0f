using System.Net;

namespace Postern.Map;

/// <summary>A mapping the gateway granted: its external endpoint, for how long, and the epoch
/// it answered with at <paramref name="ReceivedAt"/> (a monotonic clock, for the epoch check and
/// the renewal at half the lifetime).</summary>
/// <paramref name="Server"/> is who granted it when that is not the gateway's 5351 (UPnP: the
/// IGD's control URL address and port).
public sealed record GatewayGrant(GatewayProtocol Protocol, IPEndPoint External, TimeSpan Lifetime, uint Epoch, TimeSpan ReceivedAt, IPEndPoint? Server = null)
{
    public TimeSpan RenewAt => ReceivedAt + Lifetime / 2;

    public string ProtocolName => Protocol switch
    {
        GatewayProtocol.Pcp => "pcp",
        GatewayProtocol.NatPmp => "nat-pmp",
        _ => "upnp",
    };
}
