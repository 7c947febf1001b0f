namespace Postern.Wire;

/// <summary>What a postern-punch datagram is (docs/punch-protocol.md, "Probes").</summary>
public enum PunchProbeKind : byte
{
    Probe = 1,
    Answer = 2,
    Keepalive = 3,
    KeepaliveAnswer = 4,
    Close = 5,
}
