using System.Diagnostics;
using System.Globalization;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>A wireguard-go interface in a lab host: its own key pair, an address and a peer (by
/// public key, allowed-ips only: postern-punch sets the endpoint and port). wireguard-go's control
/// sockets share /var/run/wireguard across namespaces, so the name is unique per test run
/// (process id and a counter). Disposing stops wireguard-go (its interface goes with it) and
/// removes a control socket it left.</summary>
internal sealed class WireGuardInterface : IDisposable
{
    private const string SocketDirectory = "/var/run/wireguard";
    private static int s_counter;
    private readonly BackgroundProcess _process;

    private WireGuardInterface(Netns host, string name, BackgroundProcess process, string publicKey)
    {
        Host = host;
        Name = name;
        _process = process;
        PublicKey = publicKey;
    }

    public Netns Host { get; }

    public string Name { get; }

    public string PublicKey { get; }

    public string ControlSocket => ControlSocketOf(Name);

    public static string ControlSocketOf(string name) => Path.Combine(SocketDirectory, name + ".sock");

    /// <summary>A name no other test run uses ("pwg" + process id + counter, at most 15 bytes).</summary>
    public static string UniqueName() =>
        string.Create(CultureInfo.InvariantCulture, $"pwg{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}");

    /// <summary>Keys in <paramref name="scratch"/>, wireguard-go started and its control socket
    /// waited for; then the private key, the address and a route to the peer's.</summary>
    public static WireGuardInterface Start(Netns host, ScratchDirectory scratch, string address, string peerAddress)
    {
        string name = UniqueName();
        string keyFile = scratch.Combine(name + ".key");
        string publicKey = Shell.Sh($"umask 077; wg genkey > {keyFile} && wg pubkey < {keyFile}").EnsureSuccess().Output.Trim();
        BackgroundProcess process = host.Start("wireguard-go", "-f", name);
        var wireGuard = new WireGuardInterface(host, name, process, publicKey);
        try
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(wireGuard.ControlSocket))
            {
                Assert.False(process.HasExited, "wireguard-go ended:\n" + process.Output);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "wireguard-go made no control socket:\n" + process.Output);
                Thread.Sleep(20);
            }
            host.Check("wg", "set", name, "private-key", keyFile);
            host.Check("ip", "address", "add", address + "/32", "peer", peerAddress + "/32", "dev", name);
            host.Check("ip", "link", "set", name, "up");
            return wireGuard;
        }
        catch
        {
            wireGuard.Dispose();
            throw;
        }
    }

    /// <summary>The peer this interface will talk to; postern-punch's hand-off adds its endpoint.</summary>
    public void AllowPeer(string publicKey, string peerAddress) =>
        Host.Check("wg", "set", Name, "peer", publicKey, "allowed-ips", peerAddress + "/32");

    /// <summary>Seconds since the epoch of the peer's latest handshake (0: none yet).</summary>
    public long LatestHandshake()
    {
        string output = Host.Check("wg", "show", Name, "latest-handshakes").Trim();
        string[] fields = output.Split('\t', StringSplitOptions.TrimEntries);
        return fields.Length == 2 ? long.Parse(fields[1], CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Polls until a handshake with the peer has happened; false when none in time.</summary>
    public bool WaitForHandshake(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (LatestHandshake() != 0)
            {
                return true;
            }
            Thread.Sleep(100);
        }
        return false;
    }

    /// <summary>Stops wireguard-go (SIGTERM: it removes its socket and interface); true when it
    /// cleaned up after itself, which a test asserts.</summary>
    public bool Stop()
    {
        _process.Dispose();
        return !File.Exists(ControlSocket);
    }

    public void Dispose()
    {
        Stop();
        // Whatever happened, nothing stays behind in the shared directory.
        File.Delete(ControlSocket);
    }
}
