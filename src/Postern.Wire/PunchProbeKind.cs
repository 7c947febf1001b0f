namespace Postern.Wire;

/// <summary>What a postern-punch datagram is (docs/punch-protocol.md, "Probes").</summary>
public enum PunchProbeKind : byte
{
    Probe = 1,
    Answer = 2,
    Keepalive = 3,
    KeepaliveAnswer = 4,
    Close = 5,

    /// <summary>On a held relayed path, from the side whose probe round trip over a direct
    /// candidate completed: "move the held path to where this came from".</summary>
    Switch = 6,

    /// <summary>The answer to <see cref="Switch"/> (its nonce echoed): the peer has moved.</summary>
    SwitchAnswer = 7,
}
