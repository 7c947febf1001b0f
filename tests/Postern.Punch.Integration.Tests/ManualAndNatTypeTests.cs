using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>`manual` (the classic copy-and-paste exchange) between two postern-punch processes in
/// both orders and against a classic script, `nat-type` against each NAT kind, and rendezvous
/// over two reflectors.</summary>
public class ManualAndNatTypeTests
{
    private static string LineOf(BackgroundProcess process)
    {
        Assert.True(process.WaitForOutput("Got my IP and Port:", Punch.Timeout), process.Output);
        return Regex.Match(process.Output, @"^Got my IP and Port: .*$", RegexOptions.Multiline).Value;
    }

    /// <summary>Two manual runs; the first reads the peer's line <paramref name="gap"/> before the
    /// second. With a WAN firewall on both NATs any order and gap works.</summary>
    [RootTheory]
    [InlineData(true, 0.0, false)]
    [InlineData(true, 3.0, false)]
    [InlineData(true, 3.0, true)]
    [InlineData(false, 0.3, false)]
    [InlineData(false, 0.3, true)]
    public void Manual_connects_two_postern_punch_processes_whichever_reads_first(bool firewall, double gap, bool aReadsFirst)
    {
        using var lab = new PunchLab(new SiteOptions { WanFirewall = firewall }, new SiteOptions { WanFirewall = firewall });
        using var scratch = new ScratchDirectory("punch");
        using BackgroundProcess reflector = Punch.StartReflector(lab.Reflector);
        string fifoA = Path.Combine(scratch.Path, "a.fifo");
        string fifoB = Path.Combine(scratch.Path, "b.fifo");
        Shell.Check("mkfifo", fifoA, fifoB);
        using BackgroundProcess a = lab.A.Host.Start("/bin/sh", "-c", $"exec {Punch.Binary} manual --server {Punch.Server} --quiet 1 --timeout 20 < {fifoA}");
        using BackgroundProcess b = lab.B.Host.Start("/bin/sh", "-c", $"exec {Punch.Binary} manual --server {Punch.Server} --quiet 1 --timeout 20 < {fifoB}");
        // Opening a fifo for writing waits for its reader: the shells above hold it.
        using (var writeA = new StreamWriter(fifoA))
        using (var writeB = new StreamWriter(fifoB))
        {
            string lineA = LineOf(a);
            string lineB = LineOf(b);
            // People paste with stray characters around the line.
            (StreamWriter early, string earlyLine, StreamWriter late, string lateLine) = aReadsFirst
                ? (writeA, ">> " + lineB, writeB, "<alice> " + lineA + " :)")
                : (writeB, "<alice> " + lineA + " :)", writeA, ">> " + lineB);
            early.WriteLine(earlyLine);
            early.Flush();
            Thread.Sleep(TimeSpan.FromSeconds(gap));
            late.WriteLine(lateLine);
            late.Flush();
            Punched pa = Punch.WaitPunched(a);
            Punched pb = Punch.WaitPunched(b);
            Assert.Equal(PunchLab.SiteBPublicAddress, pa.PeerIp);
            Assert.Equal(PunchLab.SiteAPublicAddress, pb.PeerIp);
            Assert.Equal(pb.PublicPort, pa.PeerPort);
            Assert.Equal(pa.PublicPort, pb.PeerPort);
        }
        Assert.Equal(0, Punch.WaitExit(a));
        Assert.Equal(0, Punch.WaitExit(b));
    }

    /// <summary>The classic script: one HELO from its port to ours, then two seconds for any
    /// datagram back. postern-punch read the classic side's line first, as the issue asks.</summary>
    [RootFact]
    public void Manual_connects_with_a_classic_script_that_sends_one_helo()
    {
        using var lab = new PunchLab();
        using var scratch = new ScratchDirectory("punch");
        using BackgroundProcess reflector = Punch.StartReflector(lab.Reflector);
        // The classic side's mapping: its port 41000 through NAT B, which keeps the port.
        string classicLine = $"Got my IP and Port: ('{PunchLab.SiteBPublicAddress}', 41000, 41000).";
        string fifo = Path.Combine(scratch.Path, "a.fifo");
        Shell.Check("mkfifo", fifo);
        using BackgroundProcess punch = lab.A.Host.Start("/bin/sh", "-c", $"exec {Punch.Binary} manual --server {Punch.Server} --timeout 20 < {fifo}");
        using (var write = new StreamWriter(fifo))
        {
            string ours = LineOf(punch);
            Match mapped = Regex.Match(ours, @"\('([\d.]+)', (\d+)");
            write.WriteLine(classicLine);
            write.Flush();
            Thread.Sleep(500); // postern-punch's openers are out; now the classic side pastes ours
            string script = "import socket, sys\n" +
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
                "s.bind(('0.0.0.0', 41000))\n" +
                $"s.sendto(b'HELO\\n', ('{mapped.Groups[1].Value}', {mapped.Groups[2].Value}))\n" +
                "s.settimeout(2)\n" +
                "try:\n" +
                "    data, peer = s.recvfrom(2048)\n" +
                "    print('classic got', data, 'from', peer)\n" +
                "except socket.timeout:\n" +
                "    print('classic timed out'); sys.exit(1)\n";
            CommandResult classic = lab.B.Host.Run(TimeSpan.FromSeconds(10), UdpPeer.Python, "-c", script);
            Assert.True(classic.Succeeded, classic.ToString());
            Assert.Contains($"classic got b'HELO\\n' from ('{PunchLab.SiteAPublicAddress}'", classic.Output);
            Punched punched = Punch.WaitPunched(punch);
            Assert.Equal(PunchLab.SiteBPublicAddress, punched.PeerIp);
            Assert.Equal(41000, punched.PeerPort);
        }
        Assert.Equal(0, Punch.WaitExit(punch));
    }

    [RootTheory]
    [InlineData(SiteNat.Cone, "endpoint-independent", "address-and-port-dependent", "yes")]
    [InlineData(SiteNat.FullCone, "endpoint-independent", "endpoint-independent", "yes")]
    [InlineData(SiteNat.Symmetric, "address-and-port-dependent", "address-and-port-dependent", null)]
    public void Nat_type_tells_each_kind_of_nat_in_rfc_4787s_words(SiteNat kind, string mapping, string filtering, string? preserved)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = kind });
        using BackgroundProcess reflector = Punch.StartReflector(lab.Reflector);
        CommandResult result = lab.A.Run(TimeSpan.FromSeconds(60), Punch.Binary, "nat-type", "--server", Punch.Server);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains($"public address: {PunchLab.SiteAPublicAddress}:", result.Output);
        Assert.Contains("nat: yes", result.Output);
        Assert.Matches($"(?m)^mapping: {mapping} ", result.Output);
        Assert.Matches($"(?m)^filtering: {filtering} ", result.Output);
        Assert.Contains("hairpinning: no", result.Output);
        if (preserved is not null)
        {
            Assert.Contains("port preservation: " + preserved, result.Output);
        }
        if (kind == SiteNat.Symmetric)
        {
            Assert.Matches("(?m)^port allocation: random", result.Output);
        }
    }

    [RootFact]
    public void Nat_type_says_why_it_cannot_test_filtering_without_an_alternate_address()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = lab.Reflector.Start(Punch.ReflectorBinary, "--listen", $"udp:{PunchLab.ReflectorAddress}:3478", "--stats-interval", "0");
        Assert.True(reflector.WaitForOutput("listening on", TimeSpan.FromSeconds(20)), reflector.Output);
        CommandResult result = lab.A.Run(TimeSpan.FromSeconds(60), Punch.Binary, "nat-type", "--server", Punch.Server);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("mapping: unknown (the reflector has no alternate address (postern-reflector --alternate))", result.Output);
        Assert.Contains("filtering: unknown (the reflector has no alternate address", result.Output);
    }

    [RootFact]
    public void Two_reflectors_pair_the_peers_at_the_one_both_choose()
    {
        using var lab = new PunchLab();
        (Netns second, string secondAddress) = lab.AddPublicHost("reflector2");
        using BackgroundProcess one = Punch.StartReflector(lab.Reflector);
        using BackgroundProcess two = second.Start(Punch.ReflectorBinary, "--listen", $"udp:{secondAddress}:3478", "--stats-interval", "0");
        Assert.True(two.WaitForOutput("listening on", TimeSpan.FromSeconds(20)), two.Output);
        string servers = $"{Punch.Server},{secondAddress}";
        string reversed = $"{secondAddress}:3478,{Punch.Server}";
        using BackgroundProcess a = Punch.Start(lab.A, "connect", "--server", servers);
        string code = Punch.CodeOf(a);
        using BackgroundProcess b = Punch.Start(lab.B, "connect", "--server", reversed, "--code", code);
        Punch.WaitPunched(a);
        Punch.WaitPunched(b);
        Assert.Equal(0, Punch.WaitExit(a));
        Assert.Equal(0, Punch.WaitExit(b));
        Match chosenA = Regex.Match(a.Output, @"rendezvous at (\S+)");
        Match chosenB = Regex.Match(b.Output, @"rendezvous at (\S+)");
        Assert.True(chosenA.Success && chosenB.Success, a.Output + b.Output);
        Assert.Equal(chosenA.Groups[1].Value, chosenB.Groups[1].Value);
    }
}
