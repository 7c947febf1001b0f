using System.Globalization;
using System.Net;
using Postern.Hosting;

namespace Postern.Map;

/// <summary>One learned mapping: the public endpoint a reflector saw for the private one.</summary>
public sealed record Mapping(MapProtocol Protocol, IPEndPoint Public, IPEndPoint Private)
{
    public string ProtocolName => Protocol == MapProtocol.Udp ? "udp" : "tcp";

    /// <summary>The hook's arguments in NATMap's order: public address, public port, IP4P address,
    /// private port, protocol, private address.</summary>
    public IReadOnlyList<string> HookArguments => new[]
    {
        Public.Address.ToString(),
        Public.Port.ToString(CultureInfo.InvariantCulture),
        Ip4p.Format(Public),
        Private.Port.ToString(CultureInfo.InvariantCulture),
        ProtocolName,
        Private.Address.ToString(),
    };

    /// <summary>Whether the hook must run again: the public address or port is not what it was.</summary>
    public bool SamePublic(Mapping? other) => other is not null && other.Public.Equals(Public);

    public override string ToString() => $"{ProtocolName} {HostEndpoint.Format(Public)} (private {HostEndpoint.Format(Private)})";
}
