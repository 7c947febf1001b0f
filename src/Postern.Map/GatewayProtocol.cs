namespace Postern.Map;

/// <summary>The protocols that ask the gateway for a mapping, in the order they are tried.</summary>
public enum GatewayProtocol
{
    Pcp,
    NatPmp,
}
