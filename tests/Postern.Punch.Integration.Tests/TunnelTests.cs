using System.Diagnostics;
using System.Security.Cryptography;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>Real tunnels over a punched path between two cone NATs: wireguard-go taking the port
/// over from postern-punch (--wireguard), OpenVPN in peer-to-peer TLS mode started on it (the
/// README's --exec recipe), each carrying a TCP transfer of a few MB whose checksum must match;
/// and the --wireguard flag's usage errors.</summary>
public class TunnelTests
{
    private const string AddressA = "192.0.2.201";
    private const string AddressB = "192.0.2.202";
    private const int TransferBytes = 4 << 20;

    [RootFact]
    public void Wireguard_takes_the_punched_port_over_and_carries_a_tcp_transfer()
    {
        string[] names;
        using (var lab = new PunchLab())
        using (var scratch = new ScratchDirectory("wireguard"))
        {
            using WireGuardInterface wgA = WireGuardInterface.Start(lab.A.Host, scratch, AddressA, AddressB);
            using WireGuardInterface wgB = WireGuardInterface.Start(lab.B.Host, scratch, AddressB, AddressA);
            names = new[] { wgA.Name, wgB.Name };
            wgA.AllowPeer(wgB.PublicKey, AddressB);
            wgB.AllowPeer(wgA.PublicKey, AddressA);
            using var pair = PunchPair.Start(lab,
                new[] { "--wireguard", wgA.Name, "--peer-key", wgB.PublicKey },
                new[] { "--wireguard", wgB.Name, "--peer-key", wgA.PublicKey });
            (Punched pa, Punched pb) = pair.WaitPunchedAndExit();
            // The interface's own tunnel address is up on each host but is no LAN candidate.
            Assert.Matches(@"announcing \S", pair.A.Output);
            Assert.DoesNotMatch(@"announcing .*" + System.Text.RegularExpressions.Regex.Escape(AddressA), pair.A.Output);
            Assert.DoesNotMatch(@"announcing .*" + System.Text.RegularExpressions.Regex.Escape(AddressB), pair.B.Output);
            Assert.Contains($"wireguard: /usr/bin/wg set {wgA.Name} listen-port {pa.LocalPort} peer {wgB.PublicKey} " +
                $"endpoint {pa.PeerIp}:{pa.PeerPort} persistent-keepalive 25", pair.A.Output);
            Assert.Equal(pa.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                lab.A.Host.Check("wg", "show", wgA.Name, "listen-port").Trim());

            Assert.True(wgA.WaitForHandshake(TimeSpan.FromSeconds(30)), lab.A.Host.Run("wg", "show", wgA.Name).ToString());
            Assert.True(wgB.WaitForHandshake(TimeSpan.FromSeconds(30)), lab.B.Host.Run("wg", "show", wgB.Name).ToString());
            TimeSpan took = Transfer(lab.A, lab.B, AddressB, scratch);
            Console.WriteLine($"wireguard: {TransferBytes} bytes through {wgA.Name} -> {wgB.Name} in {took.TotalMilliseconds:0} ms");

            Assert.True(wgA.Stop(), $"wireguard-go left {wgA.ControlSocket}");
            Assert.True(wgB.Stop(), $"wireguard-go left {wgB.ControlSocket}");
        }
        foreach (string name in names)
        {
            Assert.False(File.Exists(WireGuardInterface.ControlSocketOf(name)), name);
        }
    }

    /// <summary>The README's OpenVPN recipe, word for word but for the paths and two additions
    /// for the test (--writepid, to stop it; --verb 3, for the "VERIFY OK" lines): peer-to-peer,
    /// TLS with certificates from a test CA (no static key), keepalive and mssfix.</summary>
    private static string OpenVpnRecipe(string dir, bool server, string local, string remote) =>
        "openvpn --dev tun --lport {local_port} --rport {peer_port} --remote {peer_ip} --float " +
        "--keepalive 10 60 --mssfix 1400 " +
        (server ? "--tls-server --dh none --remote-cert-tls client " : "--tls-client --remote-cert-tls server ") +
        $"--ca {dir}/ca.crt --cert {dir}/{(server ? "a" : "b")}.crt --key {dir}/{(server ? "a" : "b")}.key " +
        $"--ifconfig {local} {remote} --writepid {dir}/{(server ? "a" : "b")}.pid --verb 3";

    [RootFact]
    public void Openvpn_started_by_exec_on_the_punched_port_carries_a_tcp_transfer()
    {
        using var lab = new PunchLab();
        using var scratch = new ScratchDirectory("openvpn");
        MakeCertificates(scratch);
        using var pair = PunchPair.Start(lab,
            new[] { "--exec", OpenVpnRecipe(scratch.Path, server: true, AddressA, AddressB) },
            new[] { "--exec", OpenVpnRecipe(scratch.Path, server: false, AddressB, AddressA) });
        pair.WaitPunched();
        Assert.True(pair.A.WaitForOutput("Initialization Sequence Completed", TimeSpan.FromSeconds(60)), pair.A.Output);
        Assert.True(pair.B.WaitForOutput("Initialization Sequence Completed", TimeSpan.FromSeconds(60)), pair.B.Output);
        Assert.Contains("VERIFY OK: depth=0, CN=site-b", pair.A.Output);
        Assert.Contains("VERIFY OK: depth=0, CN=site-a", pair.B.Output);
        TimeSpan took = Transfer(lab.A, lab.B, AddressB, scratch);
        Console.WriteLine($"openvpn: {TransferBytes} bytes through the tunnel in {took.TotalMilliseconds:0} ms");

        // openvpn stopped (by the pid it wrote) ends, and postern-punch with its status.
        foreach ((BackgroundProcess punch, string side) in new[] { (pair.A, "a"), (pair.B, "b") })
        {
            Shell.Check("kill", "-TERM", File.ReadAllText(scratch.Combine(side + ".pid")).Trim());
            Assert.Equal(0, Punch.WaitExit(punch, TimeSpan.FromSeconds(20)));
        }
    }

    /// <summary>A CA and two certificates signed by it (P-256): site-a for the TLS server, site-b
    /// for the client, each with the extended key usage that --remote-cert-tls checks.</summary>
    private static void MakeCertificates(ScratchDirectory scratch)
    {
        File.WriteAllText(scratch.Combine("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n");
        File.WriteAllText(scratch.Combine("a.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n");
        File.WriteAllText(scratch.Combine("b.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
        string d = scratch.Path;
        string script =
            "set -e; umask 077; cd " + d + "\n" +
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key\n" +
            "openssl req -new -key ca.key -subj /CN=postern-test-ca -out ca.csr\n" +
            "openssl x509 -req -in ca.csr -signkey ca.key -days 2 -extfile ca.ext -out ca.crt\n" +
            "for s in a b; do\n" +
            "  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $s.key\n" +
            "  openssl req -new -key $s.key -subj /CN=site-$s -out $s.csr\n" +
            "  openssl x509 -req -in $s.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile $s.ext -out $s.crt\n" +
            "done\n";
        Shell.Sh(script).EnsureSuccess();
    }

    /// <summary>socat sends <see cref="TransferBytes"/> random bytes from a file on one host over
    /// TCP to a listener on the other's tunnel address; the copy must hash the same.</summary>
    internal static TimeSpan Transfer(PunchSite from, PunchSite to, string toAddress, ScratchDirectory scratch)
    {
        string source = scratch.Combine("transfer.src");
        string copy = scratch.Combine("transfer.got");
        File.WriteAllBytes(source, RandomNumberGenerator.GetBytes(TransferBytes));
        using BackgroundProcess receiver = to.Start("socat", "-d", "-d", "-u", $"TCP-LISTEN:5001,bind={toAddress},reuseaddr", $"CREATE:{copy}");
        Assert.True(receiver.WaitForOutput("listening on", TimeSpan.FromSeconds(20)), receiver.Output);
        var clock = Stopwatch.StartNew();
        from.Run(TimeSpan.FromSeconds(120), "socat", "-u", $"OPEN:{source}", $"TCP:{toAddress}:5001,connect-timeout=20").EnsureSuccess();
        Assert.True(receiver.WaitForExit(TimeSpan.FromSeconds(60)), receiver.Output);
        TimeSpan took = clock.Elapsed;
        Assert.Equal(0, receiver.ExitCode);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(source))), Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(copy))));
        return took;
    }

    public static TheoryData<string[], string> BadWireguardFlags => new()
    {
        { new[] { "--wireguard", "wg0" }, "--wireguard needs --peer-key, the public key of the peer WireGuard talks to" },
        { new[] { "--wireguard", "wg0", "--peer-key", "bm90IGEga2V5" }, "--peer-key: not a WireGuard public key (44 characters of base64, as `wg pubkey` prints it)" },
        { new[] { "--wireguard", "wg0", "--peer-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "--forward", "127.0.0.1:7000" },
            "--wireguard and --forward exclude each other: the port is either held or handed to WireGuard" },
        { new[] { "--wireguard", "wg0", "--peer-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "--exec", "true" },
            "--wireguard and --exec exclude each other: the port is handed to one program" },
        { new[] { "--wireguard", "wireguard-interface0", "--peer-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" },
            "--wireguard: 'wireguard-interface0' is not an interface name (1 to 15 bytes)" },
    };

    [BuiltBinaryTheory("postern-punch")]
    [MemberData(nameof(BadWireguardFlags))]
    public void Bad_wireguard_flags_are_one_sentence_and_exit_2(string[] flags, string sentence)
    {
        // The server is unreachable from here on purpose: usage is checked before any socket.
        CommandResult result = Shell.Run(Punch.Binary, new[] { "connect", "--server", PunchLab.ReflectorAddress }.Concat(flags), TimeSpan.FromSeconds(10));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("postern-punch: " + sentence, (result.Output + result.Error).Trim());
    }
}
