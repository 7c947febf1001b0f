namespace Postern.Map;

/// <summary>The protocols that ask the gateway for a mapping, in the order they are tried.</summary>
public enum GatewayProtocol
{
    Pcp,
    NatPmp,

    /// <summary>UPnP IGD (SSDP and SOAP), asked last and only with --upnp.</summary>
    Upnp,
}
