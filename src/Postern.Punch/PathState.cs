namespace Postern.Punch;

/// <summary>A peer's path, one state at a time (STYLE.md, after Tailscale's magicsock and ICE):
/// pairing at the reflector, probing candidates, one path nominated, held (forwarding, with
/// keepalives and consent), lost.</summary>
public enum PathState
{
    Pairing,
    Probing,
    Nominated,
    Held,
    Lost,
}
