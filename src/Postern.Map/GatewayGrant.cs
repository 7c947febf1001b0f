using System.Net;

namespace Postern.Map;

/// <summary>A mapping the gateway granted: its external endpoint, for how long, and the epoch
/// it answered with at <paramref name="ReceivedAt"/> (a monotonic clock, for the epoch check and
/// the renewal at half the lifetime).</summary>
public sealed record GatewayGrant(GatewayProtocol Protocol, IPEndPoint External, TimeSpan Lifetime, uint Epoch, TimeSpan ReceivedAt)
{
    public TimeSpan RenewAt => ReceivedAt + Lifetime / 2;

    public string ProtocolName => Protocol == GatewayProtocol.Pcp ? "pcp" : "nat-pmp";
}
