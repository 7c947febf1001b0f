namespace Postern.Punch;

/// <summary>This side's part in birthday probing, decided from both sides' mapping behaviour
/// (RFC 4787): none, the hard side (a symmetric NAT: many sockets, each opening its own mapping
/// towards the peer) or the sprayed side (an endpoint-independent mapping, probing random ports
/// of the hard side's address).</summary>
public enum BirthdayRole
{
    None,
    Hard,
    Spray,
}
