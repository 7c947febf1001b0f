using Postern.Testing;

namespace Postern.Reflector.Integration.Tests;

/// <summary>Two clients, each behind its own endpoint-independent (cone) MASQUERADE NAT, and the
/// reflector's host between the two NATs:
/// <code>
///   a 198.51.100.2/24 --- [nat-a] 203.0.113.1/25   --- 203.0.113.10/25  public
///   b 192.0.2.2/24    --- [nat-b] 203.0.113.129/25 --- 203.0.113.130/25 public
/// </code>
/// Both clients send to <see cref="ReflectorAddress"/>; the NATs keep a free source port, so a
/// client's mapping is its NAT's public address with the client's own port.</summary>
internal sealed class RendezvousLab : IDisposable
{
    public const string AAddress = "198.51.100.2";
    public const string NatAPublicAddress = "203.0.113.1";
    public const string BAddress = "192.0.2.2";
    public const string NatBPublicAddress = "203.0.113.129";
    public const string ReflectorAddress = "203.0.113.10";

    private readonly Lab _lab = new();

    public RendezvousLab()
    {
        try
        {
            A = _lab.AddHost("rdv-a");
            B = _lab.AddHost("rdv-b");
            Netns natA = _lab.AddHost("rdv-nat-a");
            Netns natB = _lab.AddHost("rdv-nat-b");
            Public = _lab.AddHost("rdv-public");
            _lab.Link(A, AAddress + "/24", natA, "198.51.100.1/24");
            _lab.Link(B, BAddress + "/24", natB, "192.0.2.1/24");
            (string natAOut, _) = _lab.Link(natA, NatAPublicAddress + "/25", Public, ReflectorAddress + "/25");
            (string natBOut, _) = _lab.Link(natB, NatBPublicAddress + "/25", Public, "203.0.113.130/25");
            A.Check("ip", "route", "add", "default", "via", "198.51.100.1");
            B.Check("ip", "route", "add", "default", "via", "192.0.2.1");
            natA.Check("ip", "route", "add", "default", "via", ReflectorAddress);
            natB.Check("ip", "route", "add", "default", "via", "203.0.113.130");
            foreach ((Netns nat, string wan) in new[] { (natA, natAOut), (natB, natBOut) })
            {
                nat.EnableForwarding();
                nat.Check("iptables", "-t", "nat", "-A", "POSTROUTING", "-o", wan, "-j", "MASQUERADE");
                // OpenWrt-like: nothing new comes in from the WAN side.
                nat.Check("iptables", "-A", "INPUT", "-i", wan, "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP");
                nat.Check("iptables", "-A", "FORWARD", "-i", wan, "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP");
            }
        }
        catch
        {
            _lab.Dispose();
            throw;
        }
    }

    public Netns A { get; }
    public Netns B { get; }
    public Netns Public { get; }

    public void Dispose() => _lab.Dispose();
}
