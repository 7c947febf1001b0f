namespace Postern.Wire;

/// <summary>What a sealed control message carries (docs/punch-protocol.md, "Sealed messages").</summary>
public enum SealedMessageKind : byte
{
    /// <summary>The mosh-server's session key and port, from --mosh-server to --mosh-client.</summary>
    MoshKey = 1,

    /// <summary>The --mosh-client side has the key: the server side stops sending it.</summary>
    MoshKeyAck = 2,
}
