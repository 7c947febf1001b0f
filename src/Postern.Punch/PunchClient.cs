using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>`connect` and `manual` end to end: sockets, the mapping test, the relay, rendezvous
/// (or the pasted line), the punch, the punched line, and the hand-off (warm exit, --forward,
/// --exec). Every attempt logs one line on how it ended and why.</summary>
public sealed partial class PunchClient
{
    /// <summary>Exit status when a held path was lost (consent) and --keep was not given.</summary>
    public const int ExitLost = 3;

    private readonly TextWriter _out;
    private readonly PunchCounters _counters = new();
    private readonly ulong _senderId = (ulong)Random.Shared.NextInt64() | 1UL << 63;

    public PunchClient(TextWriter output)
    {
        _out = output;
    }

    public PunchCounters Counters => _counters;

    public int Connect(ConnectOptions options, CancellationToken cancel)
    {
        // Found before anyone is paired: a peer should not punch for a hand-off that cannot happen.
        string? wg = null;
        if (options.WireGuard is not null && (wg = WireGuardHandoff.FindWg()) is null)
        {
            Log.Error("--wireguard: wg is not on PATH (install wireguard-tools)");
            return ExitCodes.Startup;
        }
        string? moshProgram = null;
        if (options.Mosh != MoshRole.None)
        {
            string name = options.Mosh == MoshRole.Server ? "mosh-server" : "mosh-client";
            if ((moshProgram = ExecutablePath.Find(name)) is null)
            {
                Log.Error($"--{name}: {name} is not on PATH (install mosh)");
                return ExitCodes.Startup;
            }
        }
        string peerFlag = options.Mosh switch
        {
            MoshRole.Server => " --mosh-client",
            MoshRole.Client => " --mosh-server",
            _ => "",
        };
        string code = options.Code ?? Announce(options, "connect", peerFlag);
        // The mosh hand-off outlives a re-punch (--keep): the same mosh-server or mosh-client
        // goes on talking to the same loopback socket, and mosh's roaming copes with the new path.
        using MoshHandoff? mosh = options.Mosh switch
        {
            MoshRole.Server => new MoshServerHandoff(moshProgram!, PairingCode.SealKey(code), _counters),
            MoshRole.Client => new MoshClientHandoff(moshProgram!, PairingCode.SealKey(code), _counters),
            _ => null,
        };
        int epoch = 0;
        while (true)
        {
            int status = ConnectOnce(options, code, epoch, wg, mosh, cancel).Status;
            if (status != ExitLost || !options.Keep || cancel.IsCancellationRequested)
            {
                return status;
            }
            epoch++;
            Log.Notice($"re-punching (--keep), round {epoch + 1}");
        }
    }

    /// <summary>A new code, printed with the command the peer must run (<paramref name="command"/>
    /// and the same servers, then <paramref name="extra"/>).</summary>
    private string Announce(ConnectOptions options, string command, string extra)
    {
        string code = PairingCode.Generate();
        string servers = string.Join(" ", options.Servers.Select(s => "--server " + s.Canonical));
        _out.WriteLine($"code: {PairingCode.Format(code)}");
        _out.WriteLine($"on the other host run: postern-punch {command} {servers} --code {PairingCode.Format(code)}{extra}");
        _out.Flush();
        return code;
    }

    /// <summary>How one round of <see cref="ConnectOnce"/> ended: its exit status, whether the
    /// reflector paired us (the round's token is then used up there), and, after a WireGuard
    /// hand-off, the port and peer endpoint given to wg.</summary>
    private readonly record struct Round(int Status, bool Paired, int HandedPort = 0, IPEndPoint? HandedPeer = null);

    /// <summary>The token of round <paramref name="epoch"/>: the code itself, then code/1, code/2:
    /// a re-punch pairs under a token of its own, as the reflector still holds the last pairing.</summary>
    private static string RoundName(string code, int epoch) =>
        epoch == 0 ? code : code + "/" + epoch.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private Round ConnectOnce(ConnectOptions options, string code, int epoch, string? wg, MoshHandoff? mosh, CancellationToken cancel)
    {
        byte[] token = PairingCode.Token(RoundName(code, epoch));
        byte[] key = PairingCode.ProbeKey(code);
        var names = options.Servers.Select(s => s.Canonical).ToList();
        ServerAddress chosen = options.Servers[ServerChoice.Choose(token, names)];
        AddressFamily family = options.Ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        IPEndPoint server = chosen.Resolve(family);
        var ports = new List<PunchPort>();
        long started = Stopwatch.GetTimestamp();
        Socket? local = null;
        bool paired = false;
        try
        {
            // The forwarded port is taken first: a port in use fails before anyone is paired,
            // and a program may start sending to it while the punch runs.
            local = options.Forward is { } listen ? BindForward(listen) : null;
            bool held = local is not null || mosh is not null;
            PunchPort main = PunchPort.Open(family, options.LocalPort);
            ports.Add(main);
            int localPort = main.LocalEndPoint.Port;

            // The mapping test: towards the server, then its OTHER-ADDRESS or a second server.
            StunResponse firstAnswer = Mapped(main, server, $"{chosen} ({Endpoints.Format(server)})");
            IPEndPoint? second = options.Servers.Count > 1
                ? options.Servers.First(s => !ReferenceEquals(s, chosen)).Resolve(family)
                : null;
            NatBehaviour mapping = NatTypeProbe.QuickMapping(main, firstAnswer.MappedAddress, firstAnswer.OtherAddress, second, out string mappingWhy);
            Log.Info($"mapping {mapping.Describe()}: {mappingWhy}");

            Socks5Relay? relay = null;
            List<IPEndPoint> locals = LocalAddresses.Find(server, localPort, options.WireGuard?.Interface);
            if (options.Relay is not null)
            {
                relay = Socks5Relay.Associate(options.Relay, family);
                var relayed = new PunchPort(new Socket(family, SocketType.Dgram, ProtocolType.Udp) { Blocking = false }, relay);
                relayed.Socket.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
                ports.Add(relayed);
                // The relay sends to the world from an address of its own, not the one we send
                // to (RFC 1928 leaves it open): the reflector, asked through the relay, tells it,
                // as TURN's XOR-RELAYED-ADDRESS would. That is what the peer must probe.
                IPEndPoint relayedAddress = Mapped(relayed, server, $"relay {options.Relay}: the reflector, asked through the relay,")
                    .MappedAddress.ToIPEndPoint();
                if (locals.Count >= LocalAddresses.MaxAnnounced)
                {
                    locals.RemoveAt(locals.Count - 1);
                }
                locals.Add(relayedAddress);
                Log.Info($"relay {options.Relay}: UDP association at {Endpoints.Format(relay.UdpEndPoint)}, relayed address {Endpoints.Format(relayedAddress)}");
            }

            Log.Info($"rendezvous at {chosen} ({Endpoints.Format(server)}), local port {localPort}, announcing {string.Join(", ", locals.Select(Endpoints.Format))}");
            RendezvousResult pair = RendezvousClient.Pair(main, server, token, locals, new PeerInfo(mapping, relay is not null), options.Wait, cancel);
            paired = true;
            Log.Info($"paired after {pair.Waited.TotalSeconds:0.0} s ({(pair.First ? "we waited" : "the peer was waiting")}): " +
                $"our mapping {Endpoints.Format(pair.Mapped)}, the peer's {Endpoints.Format(pair.Peer)}" +
                $" ({pair.PeerInfo.Mapping.Describe()} mapping), its addresses {string.Join(", ", pair.PeerLocals.Select(Endpoints.Format))}");

            var candidates = Candidates(pair, family);
            BirthdayRole role = BirthdayRole.None;
            bool bothSymmetric = mapping.IsSymmetric() && pair.PeerInfo.Mapping.IsSymmetric();
            if (bothSymmetric)
            {
                if (relay is null && !pair.PeerInfo.LastLocalIsRelay)
                {
                    Log.Error("both NATs map each destination to a new port (symmetric): no direct path can be punched; give one side --relay socks5://HOST:PORT");
                    return new Round(ExitCodes.Startup, paired);
                }
            }
            else if (mapping.IsSymmetric() && pair.PeerInfo.Mapping == NatBehaviour.EndpointIndependent)
            {
                role = BirthdayRole.Hard;
                for (int i = 1; i < options.BirthdayPorts; i++)
                {
                    ports.Add(PunchPort.Open(family, 0, birthday: true));
                }
                Log.Info($"birthday probing, hard side: {options.BirthdayPorts} sockets open mappings towards {Endpoints.Format(pair.Peer)}");
            }
            else if (pair.PeerInfo.Mapping.IsSymmetric() && mapping == NatBehaviour.EndpointIndependent)
            {
                role = BirthdayRole.Spray;
                Log.Info($"birthday probing, spraying side: random ports of {pair.Peer.Address} at {options.Punch.ProbeRate}/s");
            }

            // Openers first, probes one round trip to the reflector later, so that the peer's
            // openers are out before our probes reach its NAT (a probe that gets there first is
            // recorded by a NAT without an input firewall, and the peer's mapping then moves).
            // At least MinimumOpenerLead: the two sides hear of the pairing at different times and
            // a loaded host starts late (5 ms was lost to CI's load behind a double NAT); at most 200.
            double lead = Math.Clamp(pair.ServerRoundTrip.TotalMilliseconds, PunchSettings.MinimumOpenerLead.TotalMilliseconds, 200);
            // A held path needs no linger: the forwarder answers the peer's probes itself.
            PunchSettings settings = options.Punch with
            {
                OpenerLead = TimeSpan.FromMilliseconds(lead),
                Linger = held ? TimeSpan.Zero : options.Punch.Linger,
            };
            IPEndPoint publicEndPoint = pair.Mapped;
            var puncher = new Puncher(key, _senderId, settings, _counters)
            {
                Completed = path => PrintPunched(path, publicEndPoint),
            };
            PunchOutcome outcome = puncher.Run(ports, candidates, role, role == BirthdayRole.Spray ? pair.Peer.Address : null, cancel);
            LogAttempt(outcome, puncher, started);
            if (outcome.Path is not { } chosenPath)
            {
                return new Round(ExitCodes.Startup, paired);
            }

            DirectUpgrade? upgrade = held ? UpgradeFor(chosenPath, main, candidates, key, options.Hold, settings) : null;
            if (mosh is not null)
            {
                return new Round(HoldMosh(chosenPath, mosh, key, options.Hold, ports, cancel, upgrade), paired);
            }
            if (local is not null)
            {
                return new Round(Hold(chosenPath, local, key, options.Hold, ports, cancel, upgrade: upgrade) == Forwarder.End.Lost ? ExitLost : ExitCodes.Ok, paired);
            }
            if (chosenPath.Kind == CandidateKind.Relay)
            {
                Log.Error("the path runs through the relay, which lives only while postern-punch holds it: use --forward");
                return new Round(ExitCodes.Startup, paired);
            }
            int chosenLocalPort = chosenPath.Port.LocalEndPoint.Port;
            Dispose(ports);
            if (options.Exec is { } exec)
            {
                string command = ExecCommand.Substitute(exec, chosenLocalPort, publicEndPoint, chosenPath.Peer);
                Log.Info($"exec: {command}");
                return new Round(ExecCommand.Run(command), paired);
            }
            if (options.WireGuard is { } wireGuard)
            {
                IReadOnlyList<string> arguments = wireGuard.Arguments(chosenLocalPort, chosenPath.Peer);
                Log.Info($"wireguard: {wg} {string.Join(' ', arguments)}");
                int status = WireGuardHandoff.Run(wg!, arguments);
                if (status != 0)
                {
                    Log.Error($"wireguard: wg exited with status {status}");
                }
                return new Round(status, paired, chosenLocalPort, chosenPath.Peer);
            }
            return new Round(ExitCodes.Ok, paired);
        }
        catch (Exception e) when (e is TimeoutException or IOException or SocketException or OperationCanceledException)
        {
            return new Round(Ended(e), paired);
        }
        finally
        {
            Dispose(ports);
            local?.Dispose();
            Log.Info(_counters.ToMetrics().StatsLine());
        }
    }

    /// <summary>Our mapping as <paramref name="server"/> sees it through <paramref name="port"/>;
    /// an IOException naming <paramref name="who"/> when nothing answered within 5 s.</summary>
    private static StunResponse Mapped(PunchPort port, IPEndPoint server, string who)
    {
        if (StunClient.Binding(port, server, TimeSpan.FromSeconds(5)) is not { MappedAddress.IsEmpty: false } answer)
        {
            throw new IOException($"{who} did not answer a STUN Binding request within 5 s");
        }
        return answer;
    }

    private static Socket BindForward(IPEndPoint listen)
    {
        var local = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            local.Bind(listen);
            return local;
        }
        catch (SocketException e)
        {
            local.Dispose();
            throw new IOException($"--forward {Endpoints.Format(listen)}: {e.Message}", e);
        }
    }

    /// <summary>The peer's announced addresses (LAN; a relay it holds, last, when it says so) and
    /// its public mapping (direct), of our family, without duplicates.</summary>
    public static List<Candidate> Candidates(RendezvousResult pair, AddressFamily family)
    {
        var candidates = new List<Candidate>();
        for (int i = 0; i < pair.PeerLocals.Count; i++)
        {
            IPEndPoint local = pair.PeerLocals[i];
            bool relay = pair.PeerInfo.LastLocalIsRelay && i == pair.PeerLocals.Count - 1;
            if (local.AddressFamily != family || local.Equals(pair.Peer) || candidates.Exists(c => c.EndPoint.Equals(local)))
            {
                continue;
            }
            candidates.Add(new Candidate(local, relay ? CandidateKind.Relay : CandidateKind.Lan));
        }
        if (pair.Peer.AddressFamily == family)
        {
            candidates.Add(new Candidate(pair.Peer, CandidateKind.Direct));
        }
        return candidates;
    }

    private void PrintPunched(ConfirmedPath path, IPEndPoint publicEndPoint)
    {
        IPEndPoint local = path.Port.LocalEndPoint;
        IPEndPoint shown = local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any)
            ? LocalAddresses.RouteSource(path.Port.Relay?.UdpEndPoint ?? path.Peer, local.Port)
            : local;
        _out.WriteLine(PunchedLine.Format(shown, publicEndPoint, path, _counters.ProbesSent));
        _out.Flush();
    }

    private void LogAttempt(PunchOutcome outcome, Puncher puncher, long started)
    {
        double total = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
        if (outcome.Path is { } path)
        {
            Log.Info($"attempt connected: path {PunchedLine.PathName(path.Kind)} ({path.Kind.ToString().ToLowerInvariant()}) to {Endpoints.Format(path.Peer)} " +
                $"in {puncher.ElapsedAtChoice.TotalMilliseconds:0} ms of probing ({total:0.00} s in all), {outcome.ProbesSent} probes; candidates: {puncher.Describe()}");
        }
        else
        {
            Log.Error($"attempt failed after {outcome.Elapsed.TotalSeconds:0.0} s and {outcome.ProbesSent} probes: {outcome.Reason}; candidates: {puncher.Describe()}");
        }
    }

    /// <summary>On a relayed path, the background search for a direct one from the main port
    /// (whose mapping the peer was told), towards the peer's LAN and direct candidates; null on
    /// any other path.</summary>
    private DirectUpgrade? UpgradeFor(ConfirmedPath path, PunchPort main, List<Candidate> candidates, byte[] key, HoldSettings hold,
        PunchSettings settings) =>
        path.Kind == CandidateKind.Relay && main.Relay is null
            ? new DirectUpgrade(main, candidates, key, _senderId, hold, settings.OpenerTtl, settings.OpenerLead, _counters)
            : null;

    private Forwarder.End Hold(ConfirmedPath path, Socket local, byte[] key, HoldSettings hold, List<PunchPort> ports, CancellationToken cancel,
        MoshHandoff? mosh = null, DirectUpgrade? upgrade = null)
    {
        // Every socket but the chosen one (and the upgrade's) goes: the birthday ports, a relay not used.
        foreach (PunchPort port in ports)
        {
            if (port != path.Port && port != upgrade?.Port)
            {
                port.Dispose();
            }
        }
        ports.Clear();
        ports.Add(path.Port);
        if (upgrade is not null && upgrade.Port != path.Port)
        {
            ports.Add(upgrade.Port);
        }
        Log.Info($"forwarding {Endpoints.Format((IPEndPoint)local.LocalEndPoint!)} <-> {Endpoints.Format(path.Peer)} (path {PunchedLine.PathName(path.Kind)})");
        var forwarder = new Forwarder(path.Port, path.Peer, key, _senderId, hold, _counters, mosh, path.Kind, upgrade);
        return forwarder.Run(local, cancel, mosh?.Program);
    }

    /// <summary>--mosh-server or --mosh-client on a punched path: the hand-off begins (the server
    /// side starts mosh-server), the path is held with its sealed messages, and how the hold ended
    /// gives the exit status: mosh-client's own on the client side, 3 when the path was lost
    /// (then --keep punches again, the mosh programs running on).</summary>
    private int HoldMosh(ConfirmedPath path, MoshHandoff mosh, byte[] key, HoldSettings hold, List<PunchPort> ports, CancellationToken cancel,
        DirectUpgrade? upgrade)
    {
        if (!mosh.Begin())
        {
            Log.Error(mosh.Failure!);
            // The peer would wait for a key that will not come: it is told at once.
            new Forwarder(path.Port, path.Peer, key, _senderId, hold, _counters).Close();
            return ExitCodes.Startup;
        }
        Forwarder.End end = Hold(path, mosh.Local, key, hold, ports, cancel, mosh, upgrade);
        if (end == Forwarder.End.Lost)
        {
            return ExitLost;
        }
        if (mosh.Failure is { } failure)
        {
            Log.Error(failure);
            return ExitCodes.Startup;
        }
        if (mosh is not MoshClientHandoff client)
        {
            return ExitCodes.Ok; // mosh-server ended, the peer closed, or a stop signal
        }
        if (!client.Started)
        {
            if (end == Forwarder.End.PeerClosed)
            {
                Log.Error("the peer closed the path before it sent the mosh key");
                return ExitCodes.Startup;
            }
            return ExitCodes.Ok;
        }
        // After the peer's close, mosh-client has most likely had mosh-server's goodbye and is
        // leaving by itself; after a stop signal it is stopped.
        TimeSpan grace = end switch
        {
            Forwarder.End.Finished => TimeSpan.FromSeconds(5),
            Forwarder.End.PeerClosed => TimeSpan.FromSeconds(5),
            _ => TimeSpan.Zero,
        };
        if (client.WaitForExit(grace) is int status)
        {
            Log.Info($"mosh-client exited with status {status}");
            return status;
        }
        return ExitCodes.Ok;
    }

    /// <summary>`manual`: the classic exchange. Our mapping printed as the classic line, the
    /// peer's read from stdin, then the punch with probes keyed by the two mappings (there is no
    /// code), answering a classic script's HELO as well.</summary>
    public int Manual(ServerAddress serverAddress, int localPort, TextReader input, TimeSpan quiet, PunchSettings settings,
        IPEndPoint? forward, HoldSettings hold, CancellationToken cancel)
    {
        var ports = new List<PunchPort>();
        Socket? local = null;
        try
        {
            local = forward is not null ? BindForward(forward) : null;
            IPEndPoint server = serverAddress.Resolve(AddressFamily.InterNetwork);
            PunchPort main = PunchPort.Open(server.AddressFamily, localPort);
            ports.Add(main);
            IPEndPoint mapped = Mapped(main, server, serverAddress.ToString()).MappedAddress.ToIPEndPoint();
            _out.WriteLine(ManualLine.Format(mapped, main.LocalEndPoint.Port));
            _out.Flush();

            // People take their time to copy and paste: the mapping is kept warm meanwhile (a
            // Binding request every 10 s), and if the NAT gave a new one all the same, the new
            // line is printed (the old one no longer reaches us).
            Task<string?> reading = Task.Run(input.ReadLine);
            while (!reading.Wait(TimeSpan.FromSeconds(10), cancel))
            {
                if (StunClient.Binding(main, server, TimeSpan.FromSeconds(2)) is { MappedAddress.IsEmpty: false } refresh &&
                    refresh.MappedAddress.ToIPEndPoint() is { } now && !now.Equals(mapped))
                {
                    mapped = now;
                    Log.Warning("the NAT changed our mapping while we waited: give the peer this line instead");
                    _out.WriteLine(ManualLine.Format(mapped, main.LocalEndPoint.Port));
                    _out.Flush();
                }
            }
            string? line = reading.Result;
            if (line is null)
            {
                Log.Error("no line with the peer's ('IP', PORT) on stdin");
                return ExitCodes.Usage;
            }
            IPEndPoint? peer = ManualLine.Parse(line, out string? problem);
            if (peer is null)
            {
                Log.Error(problem!);
                return ExitCodes.Usage;
            }
            byte[] key = ManualKey(mapped, peer);
            var puncher = new Puncher(key, _senderId, settings with { OpenerLead = TimeSpan.Zero, Linger = local is null ? settings.Linger : TimeSpan.Zero }, _counters)
            {
                ClassicPeer = peer,
                QuietPeriod = quiet,
                Completed = path => PrintPunched(path, mapped),
            };
            PunchOutcome outcome = puncher.Run(ports, new[] { new Candidate(peer, CandidateKind.Direct) }, BirthdayRole.None, null, cancel);
            LogAttempt(outcome, puncher, Stopwatch.GetTimestamp() - (long)(outcome.Elapsed.TotalSeconds * Stopwatch.Frequency));
            if (outcome.Path is not { } path)
            {
                return ExitCodes.Startup;
            }
            if (local is not null)
            {
                return Hold(path, local, key, hold, ports, cancel) == Forwarder.End.Lost ? ExitLost : ExitCodes.Ok;
            }
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is TimeoutException or IOException or SocketException or OperationCanceledException)
        {
            return Ended(e);
        }
        finally
        {
            Dispose(ports);
            local?.Dispose();
            Log.Info(_counters.ToMetrics().StatsLine());
        }
    }

    /// <summary>How an attempt ends on an expected failure: one line (a stop signal's is not an
    /// error) and the start-up exit status.</summary>
    private static int Ended(Exception e)
    {
        switch (e)
        {
            case OperationCanceledException:
                Log.Info("stopped before a path was found");
                break;
            case SocketException:
                Log.Error($"socket: {e.Message}");
                break;
            default:
                Log.Error(e.Message);
                break;
        }
        return ExitCodes.Startup;
    }

    /// <summary>Both sides know both mappings after the paste: the key is derived from the two,
    /// in a fixed order. Not a secret (anyone who saw the lines has it), but two exchanges going
    /// on at once cannot take each other's probes.</summary>
    public static byte[] ManualKey(IPEndPoint a, IPEndPoint b)
    {
        string x = Endpoints.Format(a);
        string y = Endpoints.Format(b);
        string joined = string.CompareOrdinal(x, y) < 0 ? x + " " + y : y + " " + x;
        return System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes("postern-punch manual v1\0" + joined));
    }

    private static void Dispose(List<PunchPort> ports)
    {
        foreach (PunchPort port in ports)
        {
            port.Dispose();
        }
        ports.Clear();
    }
}
