using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>postern-punch register (docs/punch-protocol.md, "DNS-SD registration"): tells a
/// reflector with --dns-sd where a WireGuard interface is reachable. The register request is
/// signed with the interface's private key and sent from its listen port through a raw socket, so
/// the reflector publishes the mapping WireGuard's own packets get from the NAT. Its answer goes to
/// that port, where WireGuard drops it; so an ordinary socket asks afterwards (a lookup: the
/// records are public in DNS anyway) whether the registration with this timestamp is the one
/// published. A lost datagram costs a new attempt with a newer timestamp.</summary>
public sealed class WireGuardRegistrar
{
    private static readonly TimeSpan s_lookupTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_lookupSpacing = TimeSpan.FromMilliseconds(100);
    private const int LookupsPerAttempt = 3;

    private readonly TextWriter _out;
    private long _lastTime;
    private string _lastPrinted = "";

    public WireGuardRegistrar(TextWriter output) => _out = output;

    /// <summary>Registers once (exit 0 when confirmed, 1 when not) or, with an interval, until
    /// <paramref name="cancel"/> (a failed round is logged and the next one tries again).</summary>
    public int Run(RegisterOptions options, CancellationToken cancel)
    {
        string? wg = WireGuardHandoff.FindWg();
        if (wg is null)
        {
            Log.Error("register: wg is not on PATH (install wireguard-tools)");
            return ExitCodes.Startup;
        }
        RawUdpSender raw;
        try
        {
            raw = RawUdpSender.Open();
        }
        catch (IOException e)
        {
            Log.Error(e.Message);
            return ExitCodes.Startup;
        }
        using (raw)
        {
            while (true)
            {
                bool registered;
                try
                {
                    registered = Round(options, wg, raw, cancel);
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    Log.Error(e is SocketException ? $"socket: {e.Message}" : e.Message);
                    registered = false;
                }
                if (options.Interval == TimeSpan.Zero)
                {
                    return registered ? ExitCodes.Ok : ExitCodes.Startup;
                }
                if (cancel.WaitHandle.WaitOne(options.Interval))
                {
                    return ExitCodes.Ok;
                }
            }
        }
    }

    private bool Round(RegisterOptions options, string wg, RawUdpSender raw, CancellationToken cancel)
    {
        IPEndPoint server = options.Server.Resolve(AddressFamily.InterNetwork);
        byte[] privateKey = WireGuardDevice.PrivateKey(wg, options.Interface);
        byte[] publicKey = WireGuardRegister.PublicKeyOf(privateKey);
        ushort listenPort = WireGuardDevice.ListenPort(wg, options.Interface);
        IPAddress source = RawUdpSender.SourceFor(server);
        Span<byte> macKey = stackalloc byte[WireGuardRegister.MacLength];
        if (!WireGuardRegister.DeriveMacKey(privateKey, options.ServerKey, publicKey, options.ServerKey, macKey))
        {
            throw new IOException("--server-key is not a usable X25519 public key (a low-order point)");
        }
        Array.Clear(privateKey);

        byte[] message = new byte[WireGuardRegister.RequestLength];
        using PunchPort lookups = PunchPort.Open(AddressFamily.InterNetwork, 0);
        for (int attempt = 0; attempt < options.Attempts && !cancel.IsCancellationRequested; attempt++)
        {
            long time = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _lastTime + 1);
            _lastTime = time;
            int length = WireGuardRegister.WriteRegister(message, StunClient.NewTransactionId(), publicKey, time, macKey);
            raw.Send(source, listenPort, server, message.AsSpan(0, length));
            for (int lookup = 0; lookup < LookupsPerAttempt; lookup++)
            {
                // The lookup comes on another flow, which may reach another reflector thread
                // before the register: a moment first, and again after an older answer.
                Thread.Sleep(s_lookupSpacing);
                StunResponse? answer = Lookup(lookups, server, publicKey);
                if (answer is not { } found)
                {
                    break;
                }
                if (found.IsSuccess && !found.HasWgTime)
                {
                    throw new IOException($"{options.Server} answers STUN but publishes no DNS-SD (postern-reflector without --dns-sd)");
                }
                if (found.IsSuccess && found.WgTime == time)
                {
                    Report(publicKey, found.WgEndpoint.ToIPEndPoint(), listenPort, server);
                    return true;
                }
            }
        }
        Log.Error($"{options.Server} did not confirm the registration of {options.Interface} after {options.Attempts} tries: check " +
                  $"--server-key, this host's clock, and that UDP from port {listenPort} reaches the reflector");
        return false;
    }

    private static StunResponse? Lookup(PunchPort port, IPEndPoint server, byte[] publicKey)
    {
        byte[] transactionId = StunClient.NewTransactionId();
        byte[] request = new byte[WireGuardRegister.RequestLength];
        int length = WireGuardRegister.WriteLookup(request, transactionId, publicKey);
        return StunClient.Exchange(port, server, request.AsSpan(0, length), transactionId, s_lookupTimeout, out _);
    }

    /// <summary>One line per new endpoint (every round when it is the first, or the endpoint or
    /// the port changed), so that a service's log says when it moved.</summary>
    private void Report(byte[] publicKey, IPEndPoint endpoint, ushort listenPort, IPEndPoint server)
    {
        string line = $"registered {Convert.ToBase64String(publicKey)} endpoint={Endpoints.Format(endpoint)} " +
                      $"listen-port={listenPort} server={Endpoints.Format(server)}";
        if (line != _lastPrinted)
        {
            _out.WriteLine(line);
            _out.Flush();
            _lastPrinted = line;
        }
    }
}
