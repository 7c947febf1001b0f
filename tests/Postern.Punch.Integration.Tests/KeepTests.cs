using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>`postern-punch keep --wireguard` between two wireguard-go interfaces behind two cone
/// NATs: a TCP transfer through the tunnel, then the path broken and keep restoring it on both
/// sides (logged: why it was stale, the re-punch, the new path) for a second transfer. WireGuard
/// keepalives every 3 s and --stale 9 keep the test short. And keep's usage errors.</summary>
public class KeepTests
{
    private const string AddressA = "192.0.2.201";
    private const string AddressB = "192.0.2.202";
    private static readonly TimeSpan Restored = TimeSpan.FromSeconds(30);

    /// <summary>NAT A's conntrack table is flushed and its mapping really changes: while a raw
    /// rule holds host A's WireGuard datagrams back, the table is flushed and a socket on NAT A
    /// bound to the old public address and port sends to B's public endpoint, taking the tuple;
    /// A's next keepalive then leaves from another public port (asserted from `conntrack -L`),
    /// which NAT B does not let in, and B's datagrams land on that socket. Both sides go stale and
    /// re-punch, and a second transfer completes within 30 s of the flush.</summary>
    [RootFact]
    public void Keep_restores_the_path_within_30_s_after_nat_a_s_mapping_changes()
    {
        string[] names;
        using (var lab = new PunchLab())
        using (var scratch = new ScratchDirectory("keep"))
        {
            using var tunnel = KeptTunnel.Start(lab, scratch);
            names = tunnel.Names;
            (KeptPath a1, KeptPath b1) = tunnel.WaitRound(1, Punch.Timeout);
            Punched punchedA = Punched.Parse(tunnel.A.Output);
            tunnel.WaitHandshakes();
            TimeSpan first = TcpTransfer.Run(lab.A, lab.B, AddressB, scratch);
            Console.WriteLine($"keep: round 1 ({a1}, {b1}), {TcpTransfer.Bytes} bytes in {first.TotalMilliseconds:0} ms");

            // Hold A's WireGuard datagrams, flush, take the old tuple, release.
            string[] hold = { "-t", "raw", "-I", "PREROUTING", "-i", lab.A.NatLanInterface, "-s", lab.A.HostAddress, "-p", "udp",
                "--sport", Text(a1.Port), "-j", "DROP" };
            lab.A.Nat.Check("iptables", hold);
            var sinceFlush = Stopwatch.StartNew();
            lab.A.Nat.Check("conntrack", "-F");
            using BackgroundProcess occupier = lab.A.Nat.Start("/usr/bin/python3", "-c",
                "import socket, time\n" +
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
                $"s.bind(('{PunchLab.SiteAPublicAddress}', {punchedA.PublicPort}))\n" +
                "print('bound', flush=True)\n" +
                "while True:\n" +
                $"    s.sendto(b'not wireguard', ('{a1.Peer.Split(':')[0]}', {a1.Peer.Split(':')[1]}))\n" +
                "    time.sleep(0.2)\n");
            Assert.True(occupier.WaitForOutput("bound", TimeSpan.FromSeconds(10)), occupier.Output);
            Assert.True(Poll(() => Conntrack(lab.A.Nat, "--orig-src", PunchLab.SiteAPublicAddress, "--orig-port-src", Text(punchedA.PublicPort)).Length > 0,
                TimeSpan.FromSeconds(10)), "the occupying socket made no conntrack entry on NAT A");
            hold[2] = "-D";
            lab.A.Nat.Check("iptables", hold);

            // The mapping changed: A's flow to B now leaves NAT A from another port.
            int newPublicPort = 0;
            Assert.True(Poll(() => (newPublicPort = ReplyPort(Conntrack(lab.A.Nat, "--orig-src", lab.A.HostAddress, "--orig-port-src", Text(a1.Port)))) != 0,
                TimeSpan.FromSeconds(10)), "host A's WireGuard sent nothing through NAT A after the flush:\n" + tunnel.A.Output);
            Assert.NotEqual(punchedA.PublicPort, newPublicPort);
            Console.WriteLine($"keep: NAT A mapped {lab.A.HostAddress}:{a1.Port} to public port {punchedA.PublicPort}, after the flush to {newPublicPort}");

            (KeptPath a2, KeptPath b2) = tunnel.WaitRound(2, Restored - sinceFlush.Elapsed);
            foreach (BackgroundProcess side in new[] { tunnel.A, tunnel.B })
            {
                Assert.Matches(@"keep: path of round 1 is stale: nothing received from the peer for \d+ s", side.Output);
                Assert.Contains("keep: re-punching, round 2", side.Output);
            }
            Assert.NotEqual(a1.Port, a2.Port);
            Assert.NotEqual(b1.Peer, b2.Peer);
            TimeSpan second = TcpTransfer.Run(lab.A, lab.B, AddressB, scratch);
            TimeSpan took = sinceFlush.Elapsed;
            Console.WriteLine($"keep: round 2 ({a2}, {b2}), {TcpTransfer.Bytes} bytes in {second.TotalMilliseconds:0} ms, {took.TotalSeconds:0.0} s after the flush");
            Assert.True(took <= Restored, $"the second transfer ended {took.TotalSeconds:0.0} s after the flush");

            tunnel.StopAndCheck(a2, b2);
        }
        AssertNothingLeft(names);
    }

    /// <summary>A path dead one way only: NAT A drops what comes in for A's WireGuard port, while
    /// A's keepalives still reach B. A goes stale alone and moves WireGuard off the old path;
    /// only then does B's rx stall, and B re-punches too (its stale line comes after A's
    /// re-punch began), and the new path carries a transfer.</summary>
    [RootFact]
    public void A_one_sided_stall_makes_the_peer_re_punch_too()
    {
        string[] names;
        using (var lab = new PunchLab())
        using (var scratch = new ScratchDirectory("keep-one-sided"))
        {
            using var tunnel = KeptTunnel.Start(lab, scratch);
            names = tunnel.Names;
            (KeptPath a1, KeptPath b1) = tunnel.WaitRound(1, Punch.Timeout);
            Punched punchedA = Punched.Parse(tunnel.A.Output);
            tunnel.WaitHandshakes();

            lab.A.Nat.Check("iptables", "-t", "raw", "-I", "PREROUTING", "-i", lab.A.NatWanInterface, "-p", "udp",
                "--dport", Text(punchedA.PublicPort), "-j", "DROP");
            var clock = Stopwatch.StartNew();
            Assert.True(tunnel.A.WaitForOutput("keep: re-punching, round 2", TimeSpan.FromSeconds(30)), tunnel.A.Output);
            string bWhenARepunched = tunnel.B.Output;
            Assert.DoesNotContain("is stale", bWhenARepunched);
            Assert.Contains("keep: path of round 1 is stale: nothing received from the peer", tunnel.A.Output);
            Assert.Contains($"listen-port 0 (off the stale path", tunnel.A.Output);

            (KeptPath a2, KeptPath b2) = tunnel.WaitRound(2, TimeSpan.FromSeconds(60));
            Assert.Contains("keep: path of round 1 is stale: nothing received from the peer", tunnel.B.Output);
            Assert.Contains("keep: re-punching, round 2", tunnel.B.Output);
            TimeSpan took = TcpTransfer.Run(lab.A, lab.B, AddressB, scratch);
            Console.WriteLine($"keep (one-sided): round 2 ({a2}, {b2}) {clock.Elapsed.TotalSeconds:0.0} s after the drop; transfer {took.TotalMilliseconds:0} ms");
            Assert.NotEqual(a1.Port, a2.Port);

            tunnel.StopAndCheck(a2, b2);
        }
        AssertNothingLeft(names);
    }

    /// <summary>keep as a service that restarts: both sides with --state, A's keep stopped and
    /// started again after round 1 while WireGuard runs on. It resumes at round 2 from its state
    /// file, watches the live path instead of punching (the peer would never come), and when the
    /// path breaks (inbound to A's port dropped) both pair under round 2's token.</summary>
    [RootFact]
    public void A_restarted_keep_watches_the_live_path_and_resumes_in_step_from_its_state_file()
    {
        string[] names;
        using (var lab = new PunchLab())
        using (var scratch = new ScratchDirectory("keep-restart"))
        {
            string stateA = scratch.Combine("a.state");
            string stateB = scratch.Combine("b.state");
            using var tunnel = KeptTunnel.Start(lab, scratch, stateA, stateB);
            names = tunnel.Names;
            tunnel.WaitRound(1, Punch.Timeout);
            Punched punchedA = Punched.Parse(tunnel.A.Output);
            tunnel.WaitHandshakes();
            Assert.EndsWith(" epoch=1\n", File.ReadAllText(stateA));
            Assert.EndsWith(" epoch=1\n", File.ReadAllText(stateB));

            tunnel.RestartA(stateA);
            Assert.True(tunnel.A.WaitForOutput("already has a live path to the peer", TimeSpan.FromSeconds(20)), tunnel.A.Output);
            Assert.Contains($"keep: {stateA}: resuming at round 2", tunnel.A.Output);
            Assert.DoesNotContain("rendezvous at", tunnel.A.Output);

            lab.A.Nat.Check("iptables", "-t", "raw", "-I", "PREROUTING", "-i", lab.A.NatWanInterface, "-p", "udp",
                "--dport", Text(punchedA.PublicPort), "-j", "DROP");
            (KeptPath a2, KeptPath b2) = tunnel.WaitRound(2, TimeSpan.FromSeconds(60));
            Assert.Contains("keep: path of round 1 is stale: nothing received from the peer", tunnel.A.Output);
            Assert.Contains("keep: path of round 1 is stale: nothing received from the peer", tunnel.B.Output);
            TcpTransfer.Run(lab.A, lab.B, AddressB, scratch);
            Assert.EndsWith(" epoch=2\n", File.ReadAllText(stateA));
            Assert.EndsWith(" epoch=2\n", File.ReadAllText(stateB));

            tunnel.StopAndCheck(a2, b2);
        }
        AssertNothingLeft(names);
    }

    /// <summary>Two symmetric NATs never connect without a relay: each round pairs and finds no
    /// path. Both sides still move to the next round together (a paired round uses its token up),
    /// so they pair again as round 2 and 3, pausing 2 s, then 4 s; a stop signal ends both with 0.</summary>
    [RootFact]
    public void Rounds_without_a_path_pair_again_in_step_with_growing_pauses()
    {
        string[] names;
        var symmetric = new SiteOptions { Nat = SiteNat.Symmetric };
        using (var lab = new PunchLab(symmetric, symmetric))
        using (var scratch = new ScratchDirectory("keep-symmetric"))
        {
            using var tunnel = KeptTunnel.Start(lab, scratch);
            names = tunnel.Names;
            foreach (BackgroundProcess side in new[] { tunnel.A, tunnel.B })
            {
                Assert.True(side.WaitForOutput("keep: round 2 found no path; pairing again as round 3 in 4 s", TimeSpan.FromSeconds(60)),
                    $"--- A:\n{tunnel.A.Output}\n--- B:\n{tunnel.B.Output}");
                Assert.Contains("keep: round 1 found no path; pairing again as round 2 in 2 s", side.Output);
                Assert.Contains("both NATs map each destination to a new port (symmetric)", side.Output);
                Assert.DoesNotContain("keep: path of round", side.Output);
            }
            foreach (BackgroundProcess side in new[] { tunnel.A, tunnel.B })
            {
                side.Signal(15);
                Assert.Equal(0, Punch.WaitExit(side, TimeSpan.FromSeconds(20)));
            }
            Assert.True(tunnel.WgA.Stop(), $"wireguard-go left {tunnel.WgA.ControlSocket}");
            Assert.True(tunnel.WgB.Stop(), $"wireguard-go left {tunnel.WgB.ControlSocket}");
        }
        AssertNothingLeft(names);
    }

    private static void AssertNothingLeft(string[] names)
    {
        foreach (string name in names)
        {
            Assert.False(File.Exists(WireGuardInterface.ControlSocketOf(name)), name);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Conntrack(Netns nat, params string[] filter) =>
        nat.Check("conntrack", new[] { "-L", "-p", "udp" }.Concat(filter).ToArray());

    /// <summary>The reply tuple's destination port of the first entry (the public port a NAT gave
    /// the flow), 0 when there is none.</summary>
    private static int ReplyPort(string conntrack)
    {
        Match m = Regex.Match(conntrack, @"dport=\d+ .*?src=\S+ dst=\S+ sport=\d+ dport=(\d+)");
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static bool Poll(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }
            Thread.Sleep(200);
        }
        return true;
    }

    public static TheoryData<string[], string> BadKeepFlags => new()
    {
        { Array.Empty<string>(), "keep needs --wireguard, the interface whose path it keeps up" },
        { new[] { "--wireguard", "wg0" }, "--wireguard needs --peer-key, the public key of the peer WireGuard talks to" },
        { new[] { "--peer-key", Key }, "keep needs --wireguard, the interface whose path it keeps up" },
        { new[] { "--wireguard", "wg0", "--peer-key", "bm90IGEga2V5" }, "--peer-key: not a WireGuard public key (44 characters of base64, as `wg pubkey` prints it)" },
        { new[] { "--wireguard", "wg0", "--peer-key", Key, "--stale", "1" }, "--stale: 1 is out of range (2 to 86400)" },
        { new[] { "--wireguard", "wg0", "--peer-key", Key, "--stale", "25" },
            "--stale must be longer than --wg-keepalive, or a live path goes stale between two keepalives" },
        { new[] { "--wireguard", "wg0", "--peer-key", Key, "--wg-keepalive", "0" }, "--wg-keepalive: 0 is out of range (1 to 3600)" },
        { new[] { "--wireguard", "wg0", "--peer-key", Key, "--wg-keepalive", "3601" }, "--wg-keepalive: 3601 is out of range (1 to 3600)" },
        { new[] { "--wireguard", "wg0", "--peer-key", Key, "--timeout", "0" }, "--timeout: 0 is out of range (1 to 3600)" },
        { new[] { "--wireguard", "wg0", "--peer-key", Key, "--state", "" }, "--state: the file name is empty" },
        { new[] { "--wireguard", "wg0", "--peer-key", Key, "--forward", "127.0.0.1:7000" }, "Unrecognized command or argument '--forward' (see --help)" },
    };

    private const string Key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

    [BuiltBinaryTheory("postern-punch")]
    [MemberData(nameof(BadKeepFlags))]
    public void Bad_keep_flags_are_one_sentence_and_exit_2(string[] flags, string sentence)
    {
        // The server is unreachable from here on purpose: usage is checked before any socket.
        CommandResult result = Shell.Run(Punch.Binary, new[] { "keep", "--server", PunchLab.ReflectorAddress }.Concat(flags), TimeSpan.FromSeconds(10));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("postern-punch: " + sentence, (result.Output + result.Error).Trim());
    }

    /// <summary>The reflector, two wireguard-go interfaces (each with the other as its peer, no
    /// endpoint) and keep on both hosts: A without a code, B with the code A printed.</summary>
    private sealed class KeptTunnel : IDisposable
    {
        private readonly List<IDisposable> _owned;

        private static readonly string[] s_timers = { "--wg-keepalive", "3", "--stale", "9" };

        private KeptTunnel(PunchLab lab, WireGuardInterface wgA, WireGuardInterface wgB, BackgroundProcess reflector, BackgroundProcess a,
            BackgroundProcess b, string code, List<IDisposable> owned)
        {
            Code = code;
            Lab = lab;
            WgA = wgA;
            WgB = wgB;
            Reflector = reflector;
            A = a;
            B = b;
            _owned = owned;
        }

        public PunchLab Lab { get; }
        public WireGuardInterface WgA { get; }
        public WireGuardInterface WgB { get; }
        public BackgroundProcess Reflector { get; }
        public BackgroundProcess A { get; private set; }
        public BackgroundProcess B { get; }
        public string Code { get; }
        public string[] Names => new[] { WgA.Name, WgB.Name };

        /// <summary>With <paramref name="stateA"/> and <paramref name="stateB"/>, each side's --state file.</summary>
        public static KeptTunnel Start(PunchLab lab, ScratchDirectory scratch, string? stateA = null, string? stateB = null)
        {
            var owned = new List<IDisposable>();
            try
            {
                WireGuardInterface wgA = Own(owned, WireGuardInterface.Start(lab.A.Host, scratch, AddressA, AddressB));
                WireGuardInterface wgB = Own(owned, WireGuardInterface.Start(lab.B.Host, scratch, AddressB, AddressA));
                wgA.AllowPeer(wgB.PublicKey, AddressB);
                wgB.AllowPeer(wgA.PublicKey, AddressA);
                BackgroundProcess reflector = Own(owned, Punch.StartReflector(lab.Reflector));
                BackgroundProcess a = Own(owned, Punch.Start(lab.A,
                    new[] { "keep", "--server", Punch.Server, "--wireguard", wgA.Name, "--peer-key", wgB.PublicKey }.Concat(Extra(stateA)).ToArray()));
                string code = Punch.CodeOf(a);
                Assert.Contains($"on the other host run: postern-punch keep --server {Punch.Server} --code {code} --wireguard IFACE --peer-key {wgA.PublicKey}", a.Output);
                BackgroundProcess b = Own(owned, Punch.Start(lab.B,
                    new[] { "keep", "--server", Punch.Server, "--code", code, "--wireguard", wgB.Name, "--peer-key", wgA.PublicKey }.Concat(Extra(stateB)).ToArray()));
                return new KeptTunnel(lab, wgA, wgB, reflector, a, b, code, owned);
            }
            catch
            {
                Dispose(owned);
                throw;
            }
        }

        private static IEnumerable<string> Extra(string? state) => state is null ? s_timers : s_timers.Concat(new[] { "--state", state });

        /// <summary>A's keep stopped (SIGTERM, status 0) and started again, now with the code it
        /// printed, and <paramref name="stateA"/>: what a service restart does.</summary>
        public void RestartA(string stateA)
        {
            A.Signal(15);
            Assert.Equal(0, Punch.WaitExit(A, TimeSpan.FromSeconds(20)));
            A = Own(_owned, Punch.Start(Lab.A,
                new[] { "keep", "--server", Punch.Server, "--code", Code, "--wireguard", WgA.Name, "--peer-key", WgB.PublicKey }.Concat(Extra(stateA)).ToArray()));
        }

        private static T Own<T>(List<IDisposable> owned, T item) where T : IDisposable
        {
            owned.Add(item);
            return item;
        }

        /// <summary>Both sides' "keep: path of round N" line, within <paramref name="timeout"/>.</summary>
        public (KeptPath A, KeptPath B) WaitRound(int round, TimeSpan timeout)
        {
            string line = $"keep: path of round {round}: ";
            var clock = Stopwatch.StartNew();
            foreach (BackgroundProcess side in new[] { A, B })
            {
                TimeSpan left = timeout - clock.Elapsed;
                Assert.True(left > TimeSpan.Zero && side.WaitForOutput(line, left),
                    $"no '{line}' within {timeout.TotalSeconds:0} s.\n--- A:\n{A.Output}\n--- B:\n{B.Output}");
            }
            return (KeptPath.Parse(A.Output, round), KeptPath.Parse(B.Output, round));
        }

        public void WaitHandshakes()
        {
            Assert.True(WgA.WaitForHandshake(TimeSpan.FromSeconds(30)), Lab.A.Host.Run("wg", "show", WgA.Name).ToString());
            Assert.True(WgB.WaitForHandshake(TimeSpan.FromSeconds(30)), Lab.B.Host.Run("wg", "show", WgB.Name).ToString());
        }

        /// <summary>SIGTERM ends both keeps with status 0, and the interfaces keep the last
        /// round's port; then wireguard-go stops and removes its control socket.</summary>
        public void StopAndCheck(KeptPath a, KeptPath b)
        {
            foreach ((BackgroundProcess side, WireGuardInterface wg, KeptPath path) in new[] { (A, WgA, a), (B, WgB, b) })
            {
                side.Signal(15);
                Assert.Equal(0, Punch.WaitExit(side, TimeSpan.FromSeconds(20)));
                Assert.Contains($"keep: stopped; {wg.Name} is left as it is", side.Output);
                Assert.Equal(Text(path.Port), wg.Host.Check("wg", "show", wg.Name, "listen-port").Trim());
                Assert.Equal(path.Peer, wg.Host.Check("wg", "show", wg.Name, "endpoints").Trim().Split('\t')[1]);
            }
            Assert.True(WgA.Stop(), $"wireguard-go left {WgA.ControlSocket}");
            Assert.True(WgB.Stop(), $"wireguard-go left {WgB.ControlSocket}");
        }

        public void Dispose() => Dispose(_owned);

        private static void Dispose(List<IDisposable> owned)
        {
            for (int i = owned.Count - 1; i >= 0; i--)
            {
                owned[i].Dispose();
            }
        }
    }

    /// <summary>"keep: path of round N: IFACE listens on port L, peer endpoint IP:PORT".</summary>
    private sealed record KeptPath(int Port, string Peer)
    {
        public static KeptPath Parse(string output, int round)
        {
            Match m = Regex.Match(output, $@"keep: path of round {round}: \S+ listens on port (\d+), peer endpoint (\S+);");
            Assert.True(m.Success, $"no round {round} path in:\n{output}");
            return new KeptPath(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value);
        }

        public override string ToString() => $"port {Port}, peer {Peer}";
    }
}
