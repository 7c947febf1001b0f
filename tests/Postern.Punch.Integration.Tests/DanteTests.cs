using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>What Dante's UDP relay does for a client behind a PunchLab site: the numbers in
/// <see cref="Dante"/>'s comment, kept true. The client (host A) associates through dante on the
/// relay host, sends 5 datagrams to the reflector's echo (and, when asked, 5 to a second
/// destination); then host B, which the client never sent to, sends 5 to the relay's client-side
/// port (BND) and 5 to its external port (what the echo saw).</summary>
public class DanteTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [RootTheory]
    // The announced private address is never where the datagrams come from, cone or not.
    [InlineData(SiteNat.Cone, "local", true, false, 0, 0)]
    [InlineData(SiteNat.Symmetric, "local", true, false, 0, 0)]
    // 0.0.0.0 and the socket's port (PySocks' way): dante checks the port, so only the cone works.
    [InlineData(SiteNat.Cone, "port", true, false, 5, 0)]
    [InlineData(SiteNat.Symmetric, "port", true, false, 0, 0)]
    // 0.0.0.0:0: dante takes the first datagram's source; a stranger is dropped while dante's
    // external socket is connected to the one destination (udp.connectdst, its default).
    [InlineData(SiteNat.Cone, "zero", true, false, 5, 0)]
    [InlineData(SiteNat.Symmetric, "zero", true, false, 5, 0)]
    // Unconnected (two destinations, or udp.connectdst: no): a stranger comes through.
    [InlineData(SiteNat.Symmetric, "zero", true, true, 5, 5)]
    [InlineData(SiteNat.Symmetric, "zero", false, false, 5, 5)]
    public void UdpAssociateBehindTheSite(SiteNat kind, string announce, bool connectUdpDestination, bool twoDestinations, int echoes, int fromStranger)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = kind });
        using Dante dante = Dante.Start(lab.Relay, PunchLab.RelayAddress, connectUdpDestination: connectUdpDestination);
        using BackgroundProcess echo = UdpPeer.StartEcho(lab.Reflector, PunchLab.ReflectorAddress + ":7", PunchLab.ReflectorAlternateAddress + ":7");
        var arguments = new List<string> { "socks", dante.Endpoint, PunchLab.ReflectorAddress + ":7", "--port", "40020", "--announce", announce, "--count", "5", "--listen", "2.5" };
        if (twoDestinations)
        {
            arguments.AddRange(new[] { "--also", PunchLab.ReflectorAlternateAddress + ":7" });
        }
        BackgroundProcess client = UdpPeer.Start(lab.A.Host, arguments.ToArray());
        Assert.True(client.WaitForOutput("sent 5", Timeout), client.Output + dante.Log);
        Match bnd = Regex.Match(client.Output, @"^relay ([\d.]+:\d+)$", RegexOptions.Multiline);
        Assert.True(bnd.Success, client.Output);
        client.WaitForOutput("relayed from", TimeSpan.FromSeconds(1)); // the first echo, if any comes
        Match external = Regex.Match(client.Output, @"^relayed from \S+ seen ([\d.]+:\d+)$", RegexOptions.Multiline);

        UdpPeer.Run(lab.B.Host, Timeout, "send", bnd.Groups[1].Value, "--port", "5002", "--count", "5", "--text", "to-bnd").EnsureSuccess();
        if (external.Success)
        {
            UdpPeer.Run(lab.B.Host, Timeout, "send", external.Groups[1].Value, "--port", "5004", "--count", "5", "--text", "to-external").EnsureSuccess();
        }
        Assert.True(client.WaitForExit(Timeout), client.Output);
        string output = client.Output;

        Assert.True(Regex.IsMatch(output, $"^echoes {echoes.ToString(CultureInfo.InvariantCulture)}$", RegexOptions.Multiline), output + dante.Log);
        Assert.Equal(fromStranger, Regex.Matches(output, $@"^relayed from {Regex.Escape(PunchLab.SiteBPublicAddress)}:5004 to-external \d$", RegexOptions.Multiline).Count);
        Assert.DoesNotContain("to-bnd", output, StringComparison.Ordinal); // the client-side port takes only the client
    }
}
