using System.Globalization;

namespace Postern.Testing;

/// <summary>A set of test hosts and the veth links between them. Addresses come only from the
/// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
/// Disposing the lab removes every host (and with it every link, rule and process).</summary>
public sealed class Lab : IDisposable
{
    private static int s_links;
    private readonly List<Netns> _hosts = new();

    public Netns AddHost(string role)
    {
        Netns host = Netns.Create(role);
        _hosts.Add(host);
        return host;
    }

    /// <summary>Links two hosts with a veth pair and gives each end its addresses (CIDR form, IPv4
    /// and/or IPv6). Returns the interface names inside a and b.</summary>
    public (string A, string B) Link(Netns a, IEnumerable<string> addressesA, Netns b, IEnumerable<string> addressesB)
    {
        int n = Interlocked.Increment(ref s_links);
        // Interface names are at most 15 characters; they live only inside the test namespaces.
        string id = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 100000}x{n}");
        string nameA = "pa" + id;
        string nameB = "pb" + id;
        Shell.Check("ip", "link", "add", nameA, "netns", a.Name, "type", "veth", "peer", "name", nameB, "netns", b.Name);
        Configure(a, nameA, addressesA);
        Configure(b, nameB, addressesB);
        return (nameA, nameB);
    }

    public (string A, string B) Link(Netns a, string addressA, Netns b, string addressB) =>
        Link(a, new[] { addressA }, b, new[] { addressB });

    private static void Configure(Netns host, string device, IEnumerable<string> addresses)
    {
        foreach (string address in addresses)
        {
            if (address.Contains(':', StringComparison.Ordinal))
            {
                host.Check("ip", "-6", "addr", "add", address, "dev", device, "nodad");
            }
            else
            {
                host.Check("ip", "addr", "add", address, "dev", device);
            }
        }
        host.Check("ip", "link", "set", device, "up");
    }

    public void Dispose()
    {
        for (int i = _hosts.Count - 1; i >= 0; i--)
        {
            _hosts[i].Dispose();
        }
        _hosts.Clear();
    }
}
