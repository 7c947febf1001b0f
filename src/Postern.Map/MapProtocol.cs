namespace Postern.Map;

/// <summary>The transport whose mapping postern-map keeps.</summary>
public enum MapProtocol
{
    Udp,
    Tcp,
}
