using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Reflector.Integration.Tests;

/// <summary>A client behind MASQUERADE, the reflector on the public side (NatLab): what the
/// client is told is the NAT's public address and port, in the text form and in STUN.</summary>
public class NatTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);

    private static BackgroundProcess StartPublicReflector(NatLab lab) => Reflector.StartIn(lab.Public,
        "--listen", $"udp:{NatLab.PublicAddress}:3478,udp:[::]:2727,tcp:[::]:3478",
        "--alternate", $"{NatLab.PublicAlternateAddress}:3479", "--log-requests");

    /// <summary>The port the reflector saw a request from (its own log, i.e. the kernel's view).</summary>
    private static void AssertSeenFrom(BackgroundProcess reflector, string address, int port) =>
        Assert.Contains($"request from {address}:{port.ToString(CultureInfo.InvariantCulture)} ", reflector.Output, StringComparison.Ordinal);

    [RootTheory]
    [InlineData(NatKind.Cone)]
    [InlineData(NatKind.Symmetric)]
    public void TheTextFormReportsTheNatsPublicAddressAndPort(NatKind kind)
    {
        using var lab = new NatLab(kind);
        using BackgroundProcess reflector = StartPublicReflector(lab);

        AssertTextReportsTheNat(lab, reflector, $"echo hello | socat -t 3 - UDP4:{NatLab.PublicAddress}:2727,sourceport=40060", 40060);
        AssertTextReportsTheNat(lab, reflector, $"socat -t 5 - TCP4:{NatLab.PublicAddress}:3478,sourceport=40080 </dev/null", 40080);
    }

    /// <summary>Runs a text client from behind the NAT: the line names the NAT's public address and
    /// the port the reflector saw; a cone NAT (MASQUERADE keeps a free source port) keeps
    /// <paramref name="sourcePort"/>.</summary>
    private static void AssertTextReportsTheNat(NatLab lab, BackgroundProcess reflector, string client, int sourcePort)
    {
        CommandResult result = lab.Client.Sh(client, ClientTimeout);
        Match m = Regex.Match(result.Output, @"^Your address is \('203\.0\.113\.1', (\d+)\)\n$");
        Assert.True(m.Success, result.ToString());
        int port = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        AssertSeenFrom(reflector, NatLab.NatPublicAddress, port);
        if (lab.Kind == NatKind.Cone)
        {
            Assert.Equal(sourcePort, port);
        }
    }

    [RootTheory]
    [InlineData(NatKind.Cone)]
    [InlineData(NatKind.Symmetric)]
    public void StunReportsTheNatsPublicAddressAndPort(NatKind kind)
    {
        using var lab = new NatLab(kind);
        using BackgroundProcess reflector = StartPublicReflector(lab);

        CommandResult result = lab.Client.Run(ClientTimeout, "turnutils_stunclient", "-p", "3478", NatLab.PublicAddress);
        Match m = Regex.Match(result.Output + result.Error, @"UDP reflexive addr: 203\.0\.113\.1:(\d+)");
        Assert.True(m.Success, result.ToString());
        AssertSeenFrom(reflector, NatLab.NatPublicAddress, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.DoesNotContain("198.51.100.2", reflector.Output, StringComparison.Ordinal); // never the inside address
    }

    /// <summary>turnutils_natdiscovery runs RFC 5780's tests against --alternate: a cone NAT maps
    /// independently of the endpoint, the symmetric one per address and port; Linux conntrack
    /// filters by address and port in both.</summary>
    [RootTheory]
    [InlineData(NatKind.Cone, "NAT with Endpoint Independent Mapping!")]
    [InlineData(NatKind.Symmetric, "NAT with Address and Port Dependent Mapping!")]
    public void NatDiscoveryTellsTheMappingAndFilteringApart(NatKind kind, string mapping)
    {
        using var lab = new NatLab(kind);
        using BackgroundProcess reflector = StartPublicReflector(lab);

        CommandResult result = lab.Client.Run(ClientTimeout, "turnutils_natdiscovery", "-m", "-f", "-p", "3478", NatLab.PublicAddress);
        string output = result.Output + result.Error;
        Assert.Contains(mapping, output, StringComparison.Ordinal);
        Assert.Contains("NAT with Address and Port Dependent Filtering!", output, StringComparison.Ordinal);
        Assert.Contains($"Other addr: : {NatLab.PublicAlternateAddress}:3479", output, StringComparison.Ordinal);
    }
}
