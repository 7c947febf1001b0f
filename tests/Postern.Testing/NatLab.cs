namespace Postern.Testing;

/// <summary>A client behind an IPv4 NAT and a public side, for every role that must see through
/// NAT:
/// <code>
///   client 198.51.100.2/24 --- 198.51.100.1 [nat] 203.0.113.1 --- 203.0.113.10, .11 public
/// </code>
/// The public host has two addresses (for RFC 5780's alternate address). The NAT's public
/// address is what the public side sees as the client's.</summary>
public sealed class NatLab : IDisposable
{
    public const string ClientAddress = "198.51.100.2";
    public const string NatInsideAddress = "198.51.100.1";
    public const string NatPublicAddress = "203.0.113.1";
    public const string PublicAddress = "203.0.113.10";
    public const string PublicAlternateAddress = "203.0.113.11";

    private readonly Lab _lab = new();

    public NatLab(NatKind kind)
    {
        Kind = kind;
        try
        {
            Client = _lab.AddHost("client");
            Nat = _lab.AddHost("nat");
            Public = _lab.AddHost("public");
            (_, NatInsideInterface) = _lab.Link(Client, ClientAddress + "/24", Nat, NatInsideAddress + "/24");
            (NatPublicInterface, _) = _lab.Link(Nat, new[] { NatPublicAddress + "/24" }, Public,
                new[] { PublicAddress + "/24", PublicAlternateAddress + "/24" });
            Client.Check("ip", "route", "add", "default", "via", NatInsideAddress);
            Nat.EnableForwarding();
            var masquerade = new List<string> { "-t", "nat", "-A", "POSTROUTING", "-o", NatPublicInterface, "-j", "MASQUERADE" };
            if (kind == NatKind.Symmetric)
            {
                masquerade.Add("--random-fully");
            }
            Nat.Check("iptables", masquerade.ToArray());
        }
        catch
        {
            _lab.Dispose();
            throw;
        }
    }

    public NatKind Kind { get; }
    public Netns Client { get; }
    public Netns Nat { get; }
    public Netns Public { get; }
    public string NatInsideInterface { get; }
    public string NatPublicInterface { get; }

    public void Dispose() => _lab.Dispose();
}
