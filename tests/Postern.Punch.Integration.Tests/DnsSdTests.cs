using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Postern.Testing;
using Postern.Wire;

namespace Postern.Punch.Integration.Tests;

/// <summary>DNS-SD endpoint discovery, end to end in a PunchLab: a reflector with --dns-sd, two
/// wireguard-go interfaces behind two NATs registering with postern-punch register, dig (UDP and
/// TCP) reading the records, registrations forged in the test (wrong key, replayed, stale) refused
/// and counted, and connect --resolve on both sides making a working tunnel.</summary>
public class DnsSdTests
{
    private const string Zone = "vpn.example.net";
    private const int DnsPort = 5353;
    private const string AddressA = "192.0.2.211";
    private const string AddressB = "192.0.2.212";
    private static readonly string s_dnsServer = PunchLab.ReflectorAddress;

    /// <summary>A lab with the reflector serving DNS-SD, and a wireguard-go interface with a fixed
    /// listen port on each site's host.</summary>
    private sealed class Setup : IDisposable
    {
        public Setup(int portA, int portB, SiteOptions? nats = null)
        {
            Lab = new PunchLab(nats, nats);
            try
            {
                Scratch = new ScratchDirectory("dnssd");
                string keyFile = Scratch.Combine("reflector.key");
                Shell.Sh($"umask 077; wg genkey > {keyFile}").EnsureSuccess();
                Reflector = Punch.StartReflector(Lab.Reflector, extra: new[]
                {
                    "--dns-sd", Zone, "--dns-listen", $"udp:{s_dnsServer}:{DnsPort},tcp:{s_dnsServer}:{DnsPort}",
                    "--dns-sd-key", keyFile, "--dns-sd-ttl", "30",
                });
                Match key = Regex.Match(Reflector.Output, @"server key (\S+) \(postern-punch register --server-key\)");
                Assert.True(key.Success, Reflector.Output);
                ServerKey = key.Groups[1].Value;
                Assert.Equal(Shell.Sh($"wg pubkey < {keyFile}").EnsureSuccess().Output.Trim(), ServerKey);
                A = WireGuardInterface.Start(Lab.A.Host, Scratch, AddressA, AddressB);
                B = WireGuardInterface.Start(Lab.B.Host, Scratch, AddressB, AddressA);
                A.Host.Check("wg", "set", A.Name, "listen-port", portA.ToString(CultureInfo.InvariantCulture));
                B.Host.Check("wg", "set", B.Name, "listen-port", portB.ToString(CultureInfo.InvariantCulture));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public PunchLab Lab { get; }
        public ScratchDirectory Scratch { get; } = null!;
        public BackgroundProcess Reflector { get; } = null!;
        public string ServerKey { get; } = "";
        public WireGuardInterface A { get; } = null!;
        public WireGuardInterface B { get; } = null!;

        /// <summary>postern-punch register for one side; must succeed and print its endpoint.</summary>
        public (string Ip, int Port) Register(PunchSite site, WireGuardInterface wg)
        {
            CommandResult result = site.Run(TimeSpan.FromSeconds(60), Punch.Binary, "register", "--server", Punch.Server,
                "--server-key", ServerKey, "--wireguard", wg.Name);
            Assert.True(result.ExitCode == 0, result + "\n--- reflector:\n" + Reflector.Output);
            Match line = Regex.Match(result.Output,
                @"^registered " + Regex.Escape(wg.PublicKey) + @" endpoint=([\d.]+):(\d+) listen-port=(\d+) server=" + Regex.Escape(Punch.Server) + "$",
                RegexOptions.Multiline);
            Assert.True(line.Success, result.ToString());
            Assert.Equal(wg.Host.Check("wg", "show", wg.Name, "listen-port").Trim(), line.Groups[3].Value);
            return (line.Groups[1].Value, int.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture));
        }

        public void Dispose()
        {
            List<string> names = new();
            foreach (WireGuardInterface? wg in new[] { A, B })
            {
                if (wg is not null)
                {
                    names.Add(wg.Name);
                    wg.Dispose();
                }
            }
            Reflector?.Dispose();
            Lab.Dispose();
            Scratch?.Dispose();
            foreach (string name in names)
            {
                Assert.False(File.Exists(WireGuardInterface.ControlSocketOf(name)), name);
            }
        }
    }

    /// <summary>The instance label as coreutils makes it (an oracle independent of Postern.Wire):
    /// base32 of the key, lower case, padding kept, as wgsd names it.</summary>
    private static string Label(string base64Key) =>
        Shell.Sh($"printf '%s' '{base64Key}' | base64 -d | base32 -w0 | tr A-Z a-z").EnsureSuccess().Output.Trim();

    private static string Instance(string base64Key) => $"{Label(base64Key)}._wireguard._udp.{Zone}";

    private static string[] Dig(PunchSite from, params string[] query)
    {
        CommandResult result = from.Run(TimeSpan.FromSeconds(30), "dig",
            new[] { "@" + s_dnsServer, "-p", DnsPort.ToString(CultureInfo.InvariantCulture), "+time=3", "+tries=2" }.Concat(query).ToArray());
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The NAT's public port for the UDP flow from the host's <paramref name="localPort"/>
    /// to the reflector, read from the NAT's conntrack table (the reply tuple's destination port).</summary>
    private static int NatMapping(PunchSite site, int localPort)
    {
        string table = site.Nat.Check("conntrack", "-L", "-p", "udp", "--orig-src", site.HostAddress,
            "--orig-port-src", localPort.ToString(CultureInfo.InvariantCulture), "--orig-dst", PunchLab.ReflectorAddress,
            "--orig-port-dst", "3478");
        Match entry = Regex.Match(table, @"src=" + Regex.Escape(PunchLab.ReflectorAddress) + @" dst=" + Regex.Escape(site.PublicAddress) +
            @" sport=3478 dport=(\d+)");
        Assert.True(entry.Success, "no conntrack entry for the register flow:\n" + table);
        return int.Parse(entry.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Everything dig shows for one side: SRV (with the A and TXT in the additional
    /// section), A, TXT, the TTL, over UDP and TCP.</summary>
    private static void AssertRecords(PunchSite from, WireGuardInterface wg, string ip, int port)
    {
        string instance = Instance(wg.PublicKey);
        foreach (string transport in new[] { "+notcp", "+tcp" })
        {
            Assert.Equal(new[] { $"0 0 {port} {instance}." }, Dig(from, transport, "+short", "SRV", instance));
            Assert.Equal(new[] { ip }, Dig(from, transport, "+short", "A", instance));
            Assert.Equal(new[] { $"\"txtvers=1\" \"pub={wg.PublicKey}\"" }, Dig(from, transport, "+short", "TXT", instance));
            string[] full = Dig(from, transport, "+noall", "+answer", "+additional", "SRV", instance);
            Assert.Equal(new[]
            {
                $"{instance}. 30 IN SRV 0 0 {port} {instance}.",
                $"{instance}. 30 IN A {ip}",
                $"{instance}. 30 IN TXT \"txtvers=1\" \"pub={wg.PublicKey}\"",
            }, full.Select(l => Regex.Replace(l, @"\s+", " ")).ToArray());
        }
    }

    [RootFact]
    public void Registered_endpoints_are_dns_sd_records_that_follow_the_endpoint_and_forgeries_are_refused()
    {
        using var setup = new Setup(51820, 51821);
        PunchLab lab = setup.Lab;
        (string ipA, int portA) = setup.Register(lab.A, setup.A);
        (string ipB, int portB) = setup.Register(lab.B, setup.B);

        // What is published is what the NATs show: their public address and mapping of the port.
        Assert.Equal(PunchLab.SiteAPublicAddress, ipA);
        Assert.Equal(PunchLab.SiteBPublicAddress, ipB);
        Assert.Equal(NatMapping(lab.A, 51820), portA);
        Assert.Equal(NatMapping(lab.B, 51821), portB);
        Assert.Contains($"dns-sd: {setup.A.PublicKey} registered at {ipA}:{portA}", setup.Reflector.Output);
        AssertRecords(lab.B, setup.A, ipA, portA);
        AssertRecords(lab.A, setup.B, ipB, portB);
        foreach (string transport in new[] { "+notcp", "+tcp" })
        {
            string[] ptr = Dig(lab.A, transport, "+short", "PTR", $"_wireguard._udp.{Zone}");
            Assert.Equal(new[] { Instance(setup.A.PublicKey) + ".", Instance(setup.B.PublicKey) + "." }.Order(), ptr.Order());
        }
        // A key nobody registered does not exist; a name outside the zone is refused.
        string stranger = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Assert.Contains(Dig(lab.A, "SRV", Instance(stranger)), l => l.Contains("status: NXDOMAIN", StringComparison.Ordinal));
        Assert.Contains(Dig(lab.A, "A", "www.example.org"), l => l.Contains("status: REFUSED", StringComparison.Ordinal));

        // A new listen port: re-registering moves the records at once (no cache in between).
        setup.A.Host.Check("wg", "set", setup.A.Name, "listen-port", "51830");
        (string ipMoved, int portMoved) = setup.Register(lab.A, setup.A);
        Assert.Equal(NatMapping(lab.A, 51830), portMoved);
        Assert.NotEqual(portA, portMoved);
        AssertRecords(lab.B, setup.A, ipMoved, portMoved);

        // Forgeries, written in the test as register writes them and sent from host A (from other
        // ports: wireguard-go holds 51830; the source port proves nothing either way).
        string keyFile = setup.Scratch.Combine(setup.A.Name + ".key");
        byte[] privateKey = WireGuardRegister.ParseKey(File.ReadAllText(keyFile))!;
        byte[] publicKey = Convert.FromBase64String(setup.A.PublicKey);
        byte[] serverKey = Convert.FromBase64String(setup.ServerKey);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        byte[] wrongKey = RandomNumberGenerator.GetBytes(32);
        // One at a time, each seen counted before the next is sent: the reflector's workers (one
        // for each hash of the source port) need not take them in the order sent, and a genuine
        // one taken first would make the older forgery a replay rather than a bad MAC.
        SendFromHost(lab.A, setup.Scratch, "wrong-key", Register(wrongKey, publicKey, serverKey, now + 5), 40003);
        PollCounters(setup.Reflector, line => HasCounter(line, "dns-sd-refused.bad-mac", 1), TimeSpan.FromSeconds(20));
        SendFromHost(lab.A, setup.Scratch, "stale", Register(privateKey, publicKey, serverKey, now - 600_000), 40004);
        PollCounters(setup.Reflector, line => HasCounter(line, "dns-sd-refused.clock-skew", 1), TimeSpan.FromSeconds(20));
        // The real key, once from another port (accepted: it holds the key) and then replayed.
        byte[] genuine = Register(privateKey, publicKey, serverKey, now + 10);
        SendFromHost(lab.A, setup.Scratch, "genuine", genuine, 40001);
        PollCounters(setup.Reflector, line => HasCounter(line, "dns-sd-accepted", 4), TimeSpan.FromSeconds(20));
        SendFromHost(lab.A, setup.Scratch, "replay", genuine, 40002);
        string counters = PollCounters(setup.Reflector, line => HasCounter(line, "dns-sd-refused.replayed", 1), TimeSpan.FromSeconds(20));
        Assert.Equal(1, Counter(counters, "dns-sd-refused.bad-mac"));
        Assert.Equal(1, Counter(counters, "dns-sd-refused.clock-skew"));
        Assert.Equal(1, Counter(counters, "dns-sd-refused.replayed"));
        Assert.Equal(3, Counter(counters, "dns-sd-refused"));
        Assert.Equal(4, Counter(counters, "dns-sd-accepted"));
        Assert.Equal(2, Counter(counters, "dns-sd-entries"));
        Assert.True(Counter(counters, "dns-queries.records") >= 20, counters);
        // The genuine one moved the record to the port it came from; the replay did not move it on.
        int genuinePort = NatMapping(lab.A, 40001);
        Assert.Equal(new[] { $"0 0 {genuinePort} {Instance(setup.A.PublicKey)}." }, Dig(lab.B, "+short", "SRV", Instance(setup.A.PublicKey)));

        // As a service: --interval registers again and again, and follows a new listen port.
        using BackgroundProcess service = lab.B.Start(Punch.Binary, "register", "--server", Punch.Server, "--server-key", setup.ServerKey,
            "--wireguard", setup.B.Name, "--interval", "1");
        Assert.True(service.WaitForOutput("listen-port=51821", TimeSpan.FromSeconds(30)), service.Output);
        setup.B.Host.Check("wg", "set", setup.B.Name, "listen-port", "51831");
        Assert.True(service.WaitForOutput("listen-port=51831", TimeSpan.FromSeconds(30)), service.Output);
        int servicePort = NatMapping(lab.B, 51831);
        Assert.Contains($"endpoint={ipB}:{servicePort} listen-port=51831", service.Output);
        Assert.Equal(new[] { $"0 0 {servicePort} {Instance(setup.B.PublicKey)}." }, Dig(lab.A, "+short", "SRV", Instance(setup.B.PublicKey)));
        // One line per endpoint, however many rounds.
        Thread.Sleep(2500);
        Assert.Equal(2, Regex.Matches(service.Output, "^registered ", RegexOptions.Multiline).Count);
        service.Signal(15);
        Assert.True(service.WaitForExit(TimeSpan.FromSeconds(10)), service.Output);
        Assert.Equal(0, service.ExitCode);
    }

    /// <summary>Both sides registered, both resolving the other: WireGuard's handshake opens both
    /// NATs. The NATs have OpenWrt's WAN firewall: without one, Linux conntrack records the first
    /// side's unanswered handshake at the other NAT and that side's own packets then leave from
    /// another port (DESIGN.md, "Linux NAT simultaneous open"), which no DNS record can know.</summary>
    [RootFact]
    public void Connect_resolve_on_both_sides_makes_a_working_tunnel()
    {
        using var setup = new Setup(51820, 51820, new SiteOptions { WanFirewall = true });
        PunchLab lab = setup.Lab;
        setup.A.AllowPeer(setup.B.PublicKey, AddressB);
        setup.B.AllowPeer(setup.A.PublicKey, AddressA);
        (string ipA, int portA) = setup.Register(lab.A, setup.A);
        (string ipB, int portB) = setup.Register(lab.B, setup.B);
        string dnsServer = $"{s_dnsServer}:{DnsPort}";
        foreach ((PunchSite site, WireGuardInterface self, WireGuardInterface peer, string ip, int port) in new[]
                 {
                     (lab.A, setup.A, setup.B, ipB, portB),
                     (lab.B, setup.B, setup.A, ipA, portA),
                 })
        {
            CommandResult result = site.Run(TimeSpan.FromSeconds(60), Punch.Binary, "connect", "--resolve", Zone, "--peer-key", peer.PublicKey,
                "--wireguard", self.Name, "--dns-server", dnsServer);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains($"resolved {peer.PublicKey} endpoint={ip}:{port}", result.Output);
            Assert.Contains($"wg set {self.Name} peer {peer.PublicKey} endpoint {ip}:{port} persistent-keepalive 25", result.Error + result.Output);
            Assert.Contains($"{peer.PublicKey}\t{ip}:{port}", site.Host.Check("wg", "show", self.Name, "endpoints"));
        }
        Assert.True(setup.A.WaitForHandshake(TimeSpan.FromSeconds(40)), lab.A.Host.Run("wg", "show", setup.A.Name).ToString());
        Assert.True(setup.B.WaitForHandshake(TimeSpan.FromSeconds(40)), lab.B.Host.Run("wg", "show", setup.B.Name).ToString());
        TimeSpan took = TcpTransfer.Run(lab.A, lab.B, AddressB, setup.Scratch);
        Console.WriteLine($"dns-sd: a TCP transfer through {setup.A.Name} -> {setup.B.Name} in {took.TotalMilliseconds:0} ms");
    }

    /// <summary>Asks the reflector for its counters (SIGUSR1) until the stats line satisfies
    /// <paramref name="done"/>; fails with the last line otherwise.</summary>
    private static string PollCounters(BackgroundProcess reflector, Func<string, bool> done, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string last = "";
        while (clock.Elapsed < timeout)
        {
            reflector.Signal(10);
            Thread.Sleep(300);
            MatchCollection lines = Regex.Matches(reflector.Output, @"stats: .*$", RegexOptions.Multiline);
            if (lines.Count > 0)
            {
                last = lines[^1].Value;
                if (done(last))
                {
                    return last;
                }
            }
        }
        Assert.Fail($"the reflector's counters never said what the test waits for; last: {last}\n{reflector.Output}");
        return last;
    }

    /// <summary>Whether a stats line shows <paramref name="name"/> at <paramref name="value"/> (a
    /// family's counter is shown once it is not zero; the asserts after the wait read it with
    /// <see cref="Counter"/>, which fails on a missing one).</summary>
    private static bool HasCounter(string line, string name, long value) =>
        Regex.IsMatch(line, @"(?:^| )" + Regex.Escape(name) + "=" + value.ToString(CultureInfo.InvariantCulture) + @"(?: |$)");

    /// <summary>One counter of a stats line; a counter that is not there fails.</summary>
    private static long Counter(string line, string name)
    {
        Match match = Regex.Match(line, @"(?:^| )" + Regex.Escape(name) + @"=(\d+)");
        Assert.True(match.Success, $"no counter {name} in: {line}");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }


    /// <summary>A register request as postern-punch writes it, signed with
    /// <paramref name="signingKey"/> (the right private key, or not) for <paramref name="publicKey"/>.</summary>
    private static byte[] Register(byte[] signingKey, byte[] publicKey, byte[] serverKey, long time)
    {
        byte[] macKey = new byte[32];
        Assert.True(WireGuardRegister.DeriveMacKey(signingKey, serverKey, publicKey, serverKey, macKey));
        byte[] message = new byte[WireGuardRegister.RequestLength];
        int length = WireGuardRegister.WriteRegister(message, RandomNumberGenerator.GetBytes(12), publicKey, time, macKey);
        Assert.Equal(WireGuardRegister.RequestLength, length);
        Assert.Equal(time, BinaryPrimitives.ReadInt64BigEndian(message.AsSpan(60)));
        return message;
    }

    /// <summary>One datagram from the host of <paramref name="site"/>, source port
    /// <paramref name="sourcePort"/>, to the reflector's STUN port (socat).</summary>
    private static void SendFromHost(PunchSite site, ScratchDirectory scratch, string name, byte[] datagram, int sourcePort)
    {
        string file = scratch.Combine(name + ".bin");
        File.WriteAllBytes(file, datagram);
        site.Run(TimeSpan.FromSeconds(20), "socat", "-u", $"OPEN:{file}",
            $"UDP-SENDTO:{PunchLab.ReflectorAddress}:3478,sourceport={sourcePort.ToString(CultureInfo.InvariantCulture)}").EnsureSuccess();
    }

    public static TheoryData<string[], string> BadFlags => new()
    {
        { new[] { "register", "--server", PunchLab.ReflectorAddress, "--wireguard", "wg0" }, "Option '--server-key' is required (see --help)" },
        { new[] { "register", "--server", PunchLab.ReflectorAddress, "--server-key", "bm90IGEga2V5", "--wireguard", "wg0" },
            "--server-key: not a public key (44 characters of base64, as postern-reflector logs it)" },
        { new[] { "register", "--server", PunchLab.ReflectorAddress, "--server-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "--wireguard", "wg0", "--interval", "-1" },
            "--interval: -1 is out of range (0 to 86400)" },
        { new[] { "connect", "--resolve", Zone, "--peer-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" },
            "--resolve needs --wireguard IFACE and --peer-key KEY: the endpoint goes to that peer of that interface" },
        { new[] { "connect", "--resolve", Zone, "--server", PunchLab.ReflectorAddress, "--wireguard", "wg0", "--peer-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" },
            "--resolve takes the peer's endpoint from DNS: it excludes --server, --code, --forward, --exec, --mosh-server, --mosh-client, --relay and --keep" },
        { new[] { "connect", "--resolve", "bad zone", "--wireguard", "wg0", "--peer-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" },
            "--resolve: 'bad zone' is not a domain name" },
        { new[] { "connect", "--resolve", Zone, "--wireguard", "wg0", "--peer-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "--dns-server", "ns.example.net" },
            "--dns-server: 'ns.example.net' is not an IP address" },
        { new[] { "connect", "--server", PunchLab.ReflectorAddress, "--dns-server", "192.0.2.53" }, "--dns-server needs --resolve ZONE" },
        { new[] { "connect" }, "connect needs --server, a reflector (or --resolve ZONE, to take a WireGuard peer's endpoint from DNS-SD)" },
    };

    [BuiltBinaryTheory("postern-punch")]
    [MemberData(nameof(BadFlags))]
    public void Bad_dns_sd_flags_are_one_sentence_and_exit_2(string[] arguments, string sentence)
    {
        CommandResult result = Shell.Run(Punch.Binary, arguments, TimeSpan.FromSeconds(10));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("postern-punch: " + sentence, (result.Output + result.Error).Trim());
    }
}
