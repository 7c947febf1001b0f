using System.Diagnostics;
using System.Globalization;

namespace Postern.Testing;

/// <summary>Dante's SOCKS5 server (Debian's dante-server 1.4.2, /usr/sbin/danted) in a test
/// namespace: no authentication, CONNECT, BIND and UDP ASSOCIATE allowed from and to anywhere,
/// configuration and log in a <see cref="ScratchDirectory"/>. <see cref="Start"/> returns once
/// it listens; disposing stops it and removes the directory.
///
/// <para>What its UDP relay does for a client in a <see cref="PunchLab"/> site (measured with
/// udppeer.py's raw SOCKS5 client in host A, dante on the relay host, an echo on the reflector;
/// 5 datagrams per case; DanteTests keeps every number):</para>
/// <list type="bullet">
/// <item>The client announces its local address:port (198.51.100.2:40020) in UDP ASSOCIATE:
/// 0/5 echoes behind the cone NAT as well as the symmetric one. Dante relays only for the
/// announced address, which is private; the datagrams come from the NAT's.</item>
/// <item>It announces 0.0.0.0 and its port (PySocks' way): 5/5 behind the cone NAT (the port
/// survives), 0/5 behind the symmetric one; dante logs "expected udp packet from clientaddress
/// 0.0.0.0.40020, got it from 203.0.113.40.N".</item>
/// <item>It announces 0.0.0.0:0 (RFC 1928: a client that does not know its address): 5/5 behind
/// either; dante takes the first datagram's source as the client. This is how a client behind a
/// symmetric NAT must ask.</item>
/// <item>Datagrams to the relay's client-side port (the BND.PORT of the reply) from anyone but
/// the client: 0/5, always.</item>
/// <item>Datagrams to the relay's external address:port (what the remote sees) from a remote the
/// client never sent to (host B): 0/5 by default while the client sends to one destination only,
/// because dante connects its external socket to that destination (<c>udp.connectdst: yes</c>);
/// 5/5, with that remote's address in the SOCKS header, once the client has sent to two
/// destinations or with <c>connectUdpDestination: false</c> (<c>udp.connectdst: no</c>). So a
/// symmetric peer, whose NAT picks an unknown port towards the relay, reaches a relayed peer only
/// when the relay's external socket is unconnected.</item>
/// </list></summary>
public sealed class Dante : IDisposable
{
    public const string Binary = "/usr/sbin/danted";

    public const int DefaultPort = 1080;

    private readonly ScratchDirectory _scratch;

    private Dante(Netns host, string address, int port, ScratchDirectory scratch, BackgroundProcess process)
    {
        Host = host;
        Address = address;
        Port = port;
        _scratch = scratch;
        Process = process;
    }

    /// <summary>Starts danted in <paramref name="host"/> listening on TCP
    /// <paramref name="address"/>:<paramref name="port"/> and relaying from the same address
    /// (its UDP relay ports are ephemeral ports there), and waits until it accepts connections.</summary>
    /// <param name="connectUdpDestination">Dante's <c>udp.connectdst</c> (its default, yes): while
    /// a client sends to one destination only, the relay's external socket is connected to it and
    /// datagrams from anyone else are dropped; no keeps it unconnected.</param>
    public static Dante Start(Netns host, string address, int port = DefaultPort, bool connectUdpDestination = true)
    {
        if (!File.Exists(Binary))
        {
            throw new FileNotFoundException($"{Binary} is missing: `make deps` installs dante-server", Binary);
        }
        var scratch = new ScratchDirectory("dante");
        try
        {
            string config = scratch.Combine("danted.conf");
            File.WriteAllText(config, Configuration(address, port, scratch.Combine("danted.log"), connectUdpDestination));
            BackgroundProcess process = host.Start(Binary, "-f", config, "-p", scratch.Combine("danted.pid"), "-N", "1");
            var dante = new Dante(host, address, port, scratch, process);
            dante.WaitUntilListening(TimeSpan.FromSeconds(15));
            return dante;
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    private static string Configuration(string address, int port, string log, bool connectUdpDestination) => string.Create(CultureInfo.InvariantCulture, $"""
        logoutput: {log}
        debug: 0
        internal: {address} port = {port}
        external: {address}
        clientmethod: none
        socksmethod: none
        udp.connectdst: {(connectUdpDestination ? "yes" : "no")}
        user.privileged: root
        user.unprivileged: nobody
        client pass {"{"}
            from: 0.0.0.0/0 to: 0.0.0.0/0
            log: error connect disconnect
        {"}"}
        socks pass {"{"}
            from: 0.0.0.0/0 to: 0.0.0.0/0
            command: bind connect udpassociate bindreply udpreply
            log: error connect disconnect
        {"}"}

        """);

    private void WaitUntilListening(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string filter = "sport = :" + Port.ToString(CultureInfo.InvariantCulture);
        while (clock.Elapsed < timeout)
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"danted exited {Process.ExitCode}: {Process.Output} {Log}");
            }
            if (Host.Run("ss", "-Hltn", filter).Output.Trim().Length > 0)
            {
                return;
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"danted did not listen on {Endpoint} within {timeout.TotalSeconds} s: {Process.Output} {Log}");
    }

    public Netns Host { get; }

    public string Address { get; }

    public int Port { get; }

    /// <summary>ADDR:PORT of the SOCKS5 server (TCP).</summary>
    public string Endpoint => Address + ":" + Port.ToString(CultureInfo.InvariantCulture);

    public BackgroundProcess Process { get; }

    public string ConfigPath => _scratch.Combine("danted.conf");

    public string LogPath => _scratch.Combine("danted.log");

    /// <summary>What danted logged so far (connections, UDP sessions, errors).</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public void Dispose()
    {
        Process.Dispose();
        _scratch.Dispose();
    }
}
