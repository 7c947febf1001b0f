using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using Postern.Hosting;
using Postern.Punch;

namespace Postern.PunchCli;

/// <summary>The command line of postern-punch: connect, keep, manual, nat-type and register, every
/// flag and its check. A bad value is one sentence and exit 2, before any socket is opened. keep
/// takes connect's flags for pairing and punching (made by the same factories, checked by the same
/// code) and --wireguard's, but none of a held path's.</summary>
internal sealed class PunchCommand
{
    private static readonly PunchSettings s_punch = new();
    private static readonly HoldSettings s_hold = new();

    private static Option<ServerAddress[]> ServerOption() => new("--server", "-s")
    {
        Description = "A postern-reflector (HOST[:PORT], port 3478 by default; [IPv6] in brackets). Given several times, " +
                      "both peers pick the same one by highest-random-weight hashing of the code (give both the same list)",
        HelpName = "HOST[:PORT]",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = ParseServers,
    };

    private static Option<int> PortOption() => new("--port", "-p")
    {
        Description = "The local UDP port to punch from (0: any free port)",
        HelpName = "PORT",
        DefaultValueFactory = _ => 0,
    };

    private static Option<IPEndPoint?> ForwardOption() => new("--forward")
    {
        Description = "Keep the punched socket and relay datagrams between this local address and the peer, so any UDP program " +
                      "can use the path by sending to it (e.g. 127.0.0.1:51820); keepalives every --keepalive seconds, and the " +
                      "path is declared lost after --consent-timeout seconds without an answer (exit 3, or a new punch with --keep)",
        HelpName = "HOST:PORT",
        CustomParser = HostCommandLine.EndpointParser("--forward"),
    };

    private static Option<int> OpenerTtlOption() => new("--opener-ttl")
    {
        Description = "IP TTL of the openers sent before the probes: enough to pass your own NAT(s), too little to reach the " +
                      "peer's (2 behind one NAT, 3 behind two; 0: no openers)",
        HelpName = "N",
        DefaultValueFactory = _ => s_punch.OpenerTtl,
    };

    private static Option<int> TimeoutOption() => new("--timeout")
    {
        Description = "Seconds of probing before the attempt gives up",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => (int)s_punch.Timeout.TotalSeconds,
    };

    private static Option<int> KeepaliveOption() => new("--keepalive")
    {
        Description = $"With --forward, --mosh-server or --mosh-client: seconds between consent checks (keepalives), at most {HoldSettings.MaxKeepaliveSeconds}",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => (int)s_hold.Keepalive.TotalSeconds,
    };

    private static Option<int> ConsentOption() => new("--consent-timeout")
    {
        Description = "With --forward, --mosh-server or --mosh-client: seconds without an answer from the peer after which the path is lost (RFC 7675)",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => (int)s_hold.ConsentTimeout.TotalSeconds,
    };

    private static Option<string?> CodeOption() => new("--code", "-c")
    {
        Description = "The pairing code the other host printed (16 characters, such as K3F9-7QXA-2MRT-P8DW); without it a new " +
                      "code is made and printed with the command the peer must run",
        HelpName = "CODE",
    };

    private static Option<string?> PeerKeyOption() => new("--peer-key")
    {
        Description = "With --wireguard: the peer's WireGuard public key (44 characters of base64, as 'wg pubkey' prints it)",
        HelpName = "KEY",
    };

    private static Option<int> WaitOption() => new("--wait")
    {
        Description = "Seconds to wait at the reflector for the peer to join",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 600,
    };

    private static Option<int> BirthdayPortsOption() => new("--birthday-ports")
    {
        Description = "Behind a symmetric NAT, with an endpoint-independent peer: sockets opened for birthday probing",
        HelpName = "N",
        DefaultValueFactory = _ => 256,
    };

    private static Option<int> ProbeRateOption() => new("--probe-rate")
    {
        Description = "With a symmetric peer: probes per second sprayed at random ports of its address (birthday probing)",
        HelpName = "N",
        DefaultValueFactory = _ => s_punch.ProbeRate,
    };

    private static Option<bool> Ipv6Option() => new("--ipv6", "-6")
    {
        Description = "Punch over IPv6 (the servers must have IPv6 addresses)",
    };

    /// <summary>The flags connect and keep share, one set per command.</summary>
    private sealed record PunchFlags(Option<ServerAddress[]> Servers, Option<string?> Code, Option<string?> WireGuard, Option<string?> PeerKey,
        Option<int> Port, Option<int> Wait, Option<int> Timeout, Option<int> BirthdayPorts, Option<int> ProbeRate, Option<int> OpenerTtl,
        Option<bool> Ipv6);

    public Option<ServerAddress[]> ConnectServers { get; } = Optional(ServerOption());

    private static Option<ServerAddress[]> Optional(Option<ServerAddress[]> option)
    {
        // connect --resolve needs no reflector; connect without it says so itself.
        option.Required = false;
        return option;
    }

    public Option<string?> Resolve { get; } = new("--resolve")
    {
        Description = "Take the peer's WireGuard endpoint from the DNS-SD records a postern-reflector --dns-sd publishes under " +
                      "this zone (the SRV and A/AAAA of <base32 key>._wireguard._udp.ZONE) and hand it to --wireguard's peer " +
                      "--peer-key with 'wg set IFACE peer KEY endpoint IP:PORT persistent-keepalive 25': no rendezvous, no punch; " +
                      "with both sides registered (register) and resolving each other, WireGuard's own packets open the NATs",
        HelpName = "ZONE",
    };
    public Option<string?> DnsServer { get; } = new("--dns-server")
    {
        Description = "With --resolve: the DNS server to ask (IP[:PORT], [IPv6] in brackets, port 53 by default) instead of the system's",
        HelpName = "IP[:PORT]",
    };
    public Option<string?> Code { get; } = CodeOption();
    public Option<IPEndPoint?> Forward { get; } = ForwardOption();
    public Option<string?> Exec { get; } = new("--exec")
    {
        Description = "Once punched, close the socket and run this command with /bin/sh, with {local_port}, {public_ip}, " +
                      "{public_port}, {peer_ip} and {peer_port} put in (e.g. 'openvpn ... --lport {local_port} --remote {peer_ip} --rport {peer_port}'; for mosh use --mosh-server, which carries the key)",
        HelpName = "COMMAND",
    };
    public Option<string?> WireGuard { get; } = new("--wireguard")
    {
        Description = "Once punched, close the socket and hand the port to this WireGuard interface (kernel or wireguard-go): " +
                      "runs 'wg set IFACE listen-port LOCAL_PORT peer KEY endpoint PEER_IP:PEER_PORT persistent-keepalive 25' " +
                      "(wg of wireguard-tools, from PATH) and exits with its status; needs --peer-key",
        HelpName = "IFACE",
    };
    public Option<string?> PeerKey { get; } = PeerKeyOption();
    public Option<bool> MoshServer { get; } = new("--mosh-server")
    {
        Description = "Once punched, start 'mosh-server new -i 127.0.0.1 -p 0' (from PATH), send its session key to the peer sealed " +
                      "(AES-GCM under a key derived from the code; never on a command line, never logged) and relay between the path " +
                      "and mosh-server's loopback port until mosh-server ends (exit 0) or the path is lost (exit 3); the peer runs --mosh-client",
    };
    public Option<bool> MoshClient { get; } = new("--mosh-client")
    {
        Description = "Once punched, take the peer's sealed mosh key and run 'mosh-client 127.0.0.1 PORT' (from PATH) on this terminal " +
                      "with MOSH_KEY in its environment, PORT being a loopback port relayed over the path; exits with mosh-client's " +
                      "status; the peer runs --mosh-server",
    };
    public Option<string?> Relay { get; } = new("--relay")
    {
        Description = "A SOCKS5 server with UDP ASSOCIATE (postern-socks, or any RFC 1928 server): socks5://[USER:PASSWORD@]HOST:PORT. " +
                      "Its relayed address is offered to the peer as the last resort, the only path when both NATs are symmetric",
        HelpName = "URL",
    };
    public Option<int> ConnectPort { get; } = PortOption();
    public Option<bool> Keep { get; } = new("--keep")
    {
        Description = "With --forward, --mosh-server or --mosh-client: when the path is lost, pair and punch again (the peer must use " +
                      "--keep too) instead of exiting; mosh-server and mosh-client run on and roam to the new path",
    };
    public Option<int> Wait { get; } = WaitOption();
    public Option<int> ConnectTimeout { get; } = TimeoutOption();
    public Option<int> BirthdayPorts { get; } = BirthdayPortsOption();
    public Option<int> ProbeRate { get; } = ProbeRateOption();
    public Option<int> ConnectOpenerTtl { get; } = OpenerTtlOption();
    public Option<int> ConnectKeepalive { get; } = KeepaliveOption();
    public Option<int> ConnectConsent { get; } = ConsentOption();
    public Option<bool> Ipv6 { get; } = Ipv6Option();

    public Option<ServerAddress[]> KeepServers { get; } = ServerOption();
    public Option<string?> KeepCode { get; } = CodeOption();
    public Option<string?> KeepWireGuard { get; } = new("--wireguard")
    {
        Description = "Required: the WireGuard interface (kernel or wireguard-go) to keep a punched path for; each round runs " +
                      "'wg set IFACE listen-port LOCAL_PORT peer KEY endpoint PEER_IP:PEER_PORT persistent-keepalive N' " +
                      "(wg of wireguard-tools, from PATH)",
        HelpName = "IFACE",
    };
    public Option<string?> KeepPeerKey { get; } = PeerKeyOption();
    public Option<int> Stale { get; } = new("--stale")
    {
        Description = "Seconds without anything received from the peer (wg's rx bytes) after which the path is stale and punched " +
                      "again (default: three --wg-keepalive intervals); a handshake older than 180 s is stale too",
        HelpName = "SECONDS",
    };
    public Option<int> WgKeepalive { get; } = new("--wg-keepalive")
    {
        Description = "The persistent-keepalive given to wg, in seconds: WireGuard's own traffic that keeps the NAT mapping " +
                      "open and the rx count growing",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => WireGuardHandoff.PersistentKeepalive,
    };
    public Option<string?> State { get; } = new("--state")
    {
        Description = "A file where keep records the next round's number, so that after a restart it pairs under the same " +
                      "token as the peer (e.g. /var/lib/postern-punch/wg0.state; its directory must exist; with a fixed --code). " +
                      "Without it rounds count from 1 at every start: restart both sides together",
        HelpName = "FILE",
    };
    public Option<int> KeepPort { get; } = new("--port", "-p")
    {
        Description = "The local UDP port of the first punch (0: any free port); later punches take any port, as wg holds this one",
        HelpName = "PORT",
        DefaultValueFactory = _ => 0,
    };
    public Option<int> KeepWait { get; } = WaitOption();
    public Option<int> KeepTimeout { get; } = TimeoutOption();
    public Option<int> KeepBirthdayPorts { get; } = BirthdayPortsOption();
    public Option<int> KeepProbeRate { get; } = ProbeRateOption();
    public Option<int> KeepOpenerTtl { get; } = OpenerTtlOption();
    public Option<bool> KeepIpv6 { get; } = Ipv6Option();

    public Option<ServerAddress[]> ManualServers { get; } = ServerOption();
    public Option<int> ManualPort { get; } = PortOption();
    public Option<int> Quiet { get; } = new("--quiet")
    {
        Description = "Seconds after reading the peer's line during which only low-TTL openers are sent (a full probe that reaches " +
                      "the peer's NAT before the peer has pasted our line spoils the path on NATs without an input firewall)",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 10,
    };
    public Option<int> ManualTimeout { get; } = new("--timeout")
    {
        Description = "Seconds after reading the peer's line before giving up",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 60,
    };
    public Option<int> ManualOpenerTtl { get; } = OpenerTtlOption();
    public Option<IPEndPoint?> ManualForward { get; } = ForwardOption();
    public Option<int> ManualKeepalive { get; } = KeepaliveOption();
    public Option<int> ManualConsent { get; } = ConsentOption();

    public Option<ServerAddress[]> NatServers { get; } = ServerOption();

    public Option<ServerAddress[]> RegisterServer { get; } = new("--server", "-s")
    {
        Description = "The postern-reflector with --dns-sd to register at (HOST[:PORT], port 3478 by default; IPv4)",
        HelpName = "HOST[:PORT]",
        Required = true,
        CustomParser = ParseServers,
    };
    public Option<string?> ServerKey { get; } = new("--server-key")
    {
        Description = "The reflector's public key (44 characters of base64), as postern-reflector logs it at start",
        HelpName = "KEY",
        Required = true,
    };
    public Option<string?> RegisterWireGuard { get; } = new("--wireguard")
    {
        Description = "The WireGuard interface whose endpoint to publish: its private key signs the registration and its listen " +
                      "port is the source of the datagram (read with 'wg show IFACE private-key' and 'listen-port'; needs root)",
        HelpName = "IFACE",
        Required = true,
    };
    public Option<int> Interval { get; } = new("--interval")
    {
        Description = "Register again every SECONDS until stopped (as a service does; keep it under the reflector's 4 TTLs); " +
                      "0: register once and exit",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 0,
    };

    public Command RegisterCommand { get; } = new("register",
        "Publish a WireGuard interface's endpoint at a postern-reflector with --dns-sd: a register request signed with the " +
        "interface's private key, sent from its listen port through a raw socket, so that the reflector publishes the NAT " +
        "mapping WireGuard's own packets use as DNS-SD records (_wireguard._udp.ZONE). Confirmed by a lookup; prints " +
        "'registered KEY endpoint=IP:PORT listen-port=PORT server=IP:PORT'. Exit status: 0 registered, 1 not, 2 bad usage.");

    public Command ConnectCommand { get; } = new("connect",
        "Pair with a peer through a reflector and punch a UDP path to it. Without --code, prints a new code and the peer's command. " +
        "On success prints 'punched local=IP:PORT public=IP:PORT peer=IP:PORT path=direct|lan|relay rtt=MS attempts=N' and exits " +
        "(the NAT mapping stays warm for a program started on that port), or holds the path (--forward), or runs a command (--exec), " +
        "or hands the port to a WireGuard interface (--wireguard), or carries a mosh session (--mosh-server on one side, --mosh-client on the other). " +
        "With --resolve ZONE it instead looks the WireGuard peer's endpoint up in DNS-SD and hands it to the interface. " +
        "Exit status: 0 punched (or the --exec command's, wg's or mosh-client's), 1 no path, 2 bad usage, 3 a held path was lost.");

    public Command KeepCommand { get; } = new("keep",
        "Keeps a WireGuard path up between two hosts behind NAT: pairs and punches as connect --wireguard does, hands the port to " +
        "wg, then watches the peer (wg show IFACE transfer, latest-handshakes); when it has sent nothing for --stale seconds, or the " +
        "latest handshake is older than 180 s, logs why and punches again (the peer, running keep with the same code, notices " +
        "too), and gives wg the new port and endpoint. Runs until SIGINT or SIGTERM, which leave the interface as it is. " +
        "Exit status: 0 stopped by a signal, 1 wg or the interface missing, 2 bad usage.");

    public Command ManualCommand { get; } = new("manual",
        "The classic copy-and-paste exchange: prints \"Got my IP and Port: ('IP', PORT, LOCALPORT).\", reads the peer's line from stdin " +
        "(any line with ('IP', PORT) or ('IP', PORT, LOCALPORT) in it) and punches; works with the classic scripts' single HELO too.");

    public Command NatTypeCommand { get; } = new("nat-type",
        "Tells the NAT's mapping and filtering behaviour (RFC 4787, tested as in RFC 5780 against a reflector with --alternate), " +
        "hairpinning, port preservation and the port allocation seen over several mappings, and what that means for punching.");

    public RootCommand Build()
    {
        var root = new RootCommand(
            "postern-punch: connects two hosts behind NAT with one command each (connect), as the classic copy-and-paste scripts did " +
            "(manual), keeps a WireGuard path up across NAT changes (keep), tells what a NAT does (nat-type), and publishes a " +
            "WireGuard interface's endpoint by DNS-SD (register; connect --resolve uses it). Needs a postern-reflector on a public " +
            "address. SIGINT, SIGTERM and SIGHUP stop it.");
        foreach (Option option in new Option[]
                 {
                     ConnectServers, Code, Forward, Exec, WireGuard, PeerKey, MoshServer, MoshClient, Relay, ConnectPort, Keep, Wait, ConnectTimeout, BirthdayPorts, ProbeRate,
                     ConnectOpenerTtl, ConnectKeepalive, ConnectConsent, Ipv6, Resolve, DnsServer,
                 })
        {
            ConnectCommand.Options.Add(option);
        }
        foreach (Option option in new Option[]
                 {
                     KeepServers, KeepCode, KeepWireGuard, KeepPeerKey, Stale, WgKeepalive, State, KeepPort, KeepWait, KeepTimeout, KeepBirthdayPorts,
                     KeepProbeRate, KeepOpenerTtl, KeepIpv6,
                 })
        {
            KeepCommand.Options.Add(option);
        }
        foreach (Option option in new Option[] { ManualServers, ManualPort, Quiet, ManualTimeout, ManualOpenerTtl, ManualForward, ManualKeepalive, ManualConsent })
        {
            ManualCommand.Options.Add(option);
        }
        NatTypeCommand.Options.Add(NatServers);
        root.Subcommands.Add(ConnectCommand);
        root.Subcommands.Add(KeepCommand);
        root.Subcommands.Add(ManualCommand);
        root.Subcommands.Add(NatTypeCommand);
        foreach (Option option in new Option[] { RegisterServer, ServerKey, RegisterWireGuard, Interval })
        {
            RegisterCommand.Options.Add(option);
        }
        root.Subcommands.Add(RegisterCommand);
        return root;
    }

    private PunchFlags ConnectFlags => new(ConnectServers, Code, WireGuard, PeerKey, ConnectPort, Wait, ConnectTimeout, BirthdayPorts, ProbeRate,
        ConnectOpenerTtl, Ipv6);

    private PunchFlags KeepFlags => new(KeepServers, KeepCode, KeepWireGuard, KeepPeerKey, KeepPort, KeepWait, KeepTimeout, KeepBirthdayPorts,
        KeepProbeRate, KeepOpenerTtl, KeepIpv6);

    /// <summary>The connect options, or one sentence on what is wrong.</summary>
    public ConnectOptions? ToConnect(ParseResult result, out string? problem)
    {
        PunchFlags flags = ConnectFlags;
        if (!TryCode(result, flags, out string? code, out problem))
        {
            return null;
        }
        RelayAddress? relay = null;
        if (result.GetValue(Relay) is { } relayText)
        {
            relay = RelayAddress.Parse(relayText, out problem);
            if (relay is null)
            {
                return null;
            }
        }
        IPEndPoint? forward = result.GetValue(Forward);
        string? exec = result.GetValue(Exec);
        string? wireGuard = result.GetValue(WireGuard);
        string? peerKey = result.GetValue(PeerKey);
        MoshRole mosh = result.GetValue(MoshServer) ? MoshRole.Server : result.GetValue(MoshClient) ? MoshRole.Client : MoshRole.None;
        problem = result.GetValue(ConnectServers) is not { Length: > 0 } ? "connect needs --server, a reflector (or --resolve ZONE, to take a WireGuard peer's endpoint from DNS-SD)"
            : result.GetResult(DnsServer) is { Implicit: false } ? "--dns-server needs --resolve ZONE"
            : forward is not null && exec is not null ? "--forward and --exec exclude each other: the path is either held or handed to the command"
            : exec is { Length: 0 } ? "--exec: the command is empty"
            : MoshProblem(result.GetValue(MoshServer), result.GetValue(MoshClient), forward is not null, exec is not null, wireGuard is not null)
            ?? (result.GetValue(Keep) && forward is null && mosh == MoshRole.None
                ? "--keep needs --forward, --mosh-server or --mosh-client (only a held path can be lost and punched again)"
                : null)
            ?? WireGuardProblem(wireGuard, peerKey, forward is not null, exec is not null, relay is not null)
            ?? PunchProblem(result, flags)
            ?? HoldProblem(result.GetValue(ConnectKeepalive), result.GetValue(ConnectConsent));
        if (problem is not null)
        {
            return null;
        }
        return Punching(result, flags, code, wireGuard is null ? null : new WireGuardHandoff(wireGuard, peerKey!)) with
        {
            Forward = forward,
            Exec = exec,
            Mosh = mosh,
            Relay = relay,
            Keep = result.GetValue(Keep),
            Hold = new HoldSettings
            {
                Keepalive = TimeSpan.FromSeconds(result.GetValue(ConnectKeepalive)),
                ConsentTimeout = TimeSpan.FromSeconds(result.GetValue(ConnectConsent)),
            },
        };
    }

    /// <summary>--mosh-server and --mosh-client hold the path for mosh (one end each, so not both on
    /// one side): it cannot also be relayed to another port (--forward) or handed to a command
    /// (--exec) or to WireGuard (--wireguard).</summary>
    private static string? MoshProblem(bool server, bool client, bool forward, bool exec, bool wireGuard)
    {
        if (server && client)
        {
            return "--mosh-server and --mosh-client exclude each other: one side runs mosh-server, the other mosh-client";
        }
        string flag = server ? "--mosh-server" : client ? "--mosh-client" : "";
        return flag.Length == 0 ? null
            : forward ? $"{flag} and --forward exclude each other: the path is relayed to mosh, not to another port"
            : exec ? $"{flag} and --exec exclude each other: the path is held for mosh, not handed to a command"
            : wireGuard ? $"{flag} and --wireguard exclude each other: the path is held for mosh, not handed to WireGuard"
            : null;
    }

    /// <summary>The keep options, or one sentence on what is wrong.</summary>
    public KeepOptions? ToKeep(ParseResult result, out string? problem)
    {
        PunchFlags flags = KeepFlags;
        if (!TryCode(result, flags, out string? code, out problem))
        {
            return null;
        }
        string? wireGuard = result.GetValue(KeepWireGuard);
        string? peerKey = result.GetValue(KeepPeerKey);
        int keepalive = result.GetValue(WgKeepalive);
        // Not given (no default value, so no result): three keepalives.
        int stale = result.GetResult(Stale) is null ? 3 * keepalive : result.GetValue(Stale);
        problem = (wireGuard is null ? "keep needs --wireguard, the interface whose path it keeps up" : null)
            ?? WireGuardProblem(wireGuard, peerKey, forward: false, exec: false, relay: false)
            ?? Range("--wg-keepalive", keepalive, 1, 3600)
            ?? Range("--stale", stale, 2, 86400)
            ?? (stale <= keepalive ? "--stale must be longer than --wg-keepalive, or a live path goes stale between two keepalives" : null)
            ?? (result.GetValue(State) is { Length: 0 } ? "--state: the file name is empty" : null)
            ?? PunchProblem(result, flags);
        if (problem is not null)
        {
            return null;
        }
        return new KeepOptions
        {
            Connect = Punching(result, flags, code, new WireGuardHandoff(wireGuard!, peerKey!) { Keepalive = keepalive }),
            Stale = TimeSpan.FromSeconds(stale),
            State = result.GetValue(State) is { } state ? new KeepState(state) : null,
        };
    }

    /// <summary>--code normalised (null when not given); false with the problem when it is bad.</summary>
    private static bool TryCode(ParseResult result, PunchFlags flags, out string? code, out string? problem)
    {
        code = null;
        problem = null;
        if (result.GetValue(flags.Code) is { } codeText)
        {
            code = PairingCode.Normalize(codeText, out problem);
            return code is not null;
        }
        return true;
    }

    private static string? PunchProblem(ParseResult result, PunchFlags flags) =>
        Range("--port", result.GetValue(flags.Port), 0, 65535)
        ?? Range("--wait", result.GetValue(flags.Wait), 1, 86400)
        ?? Range("--timeout", result.GetValue(flags.Timeout), 1, 3600)
        ?? Range("--birthday-ports", result.GetValue(flags.BirthdayPorts), 2, 1024)
        ?? Range("--probe-rate", result.GetValue(flags.ProbeRate), 1, 10000)
        ?? Range("--opener-ttl", result.GetValue(flags.OpenerTtl), 0, 64);

    /// <summary>Where to pair and how to punch, from the flags connect and keep share.</summary>
    private static ConnectOptions Punching(ParseResult result, PunchFlags flags, string? code, WireGuardHandoff? wireGuard) => new()
    {
        Servers = result.GetValue(flags.Servers)!,
        Code = code,
        WireGuard = wireGuard,
        LocalPort = result.GetValue(flags.Port),
        Wait = TimeSpan.FromSeconds(result.GetValue(flags.Wait)),
        BirthdayPorts = result.GetValue(flags.BirthdayPorts),
        Ipv6 = result.GetValue(flags.Ipv6),
        Punch = s_punch with
        {
            Timeout = TimeSpan.FromSeconds(result.GetValue(flags.Timeout)),
            ProbeRate = result.GetValue(flags.ProbeRate),
            OpenerTtl = result.GetValue(flags.OpenerTtl),
        },
    };

    /// <summary>--wireguard hands the port over, so it cannot also hold it (--forward), give it to
    /// a command (--exec) or accept a relayed path, which lives only while postern-punch does.</summary>
    private static string? WireGuardProblem(string? wireGuard, string? peerKey, bool forward, bool exec, bool relay)
    {
        if (wireGuard is null)
        {
            return peerKey is null ? null : "--peer-key needs --wireguard (it names the peer of that interface)";
        }
        return forward ? "--wireguard and --forward exclude each other: the port is either held or handed to WireGuard"
            : exec ? "--wireguard and --exec exclude each other: the port is handed to one program"
            : relay ? "--wireguard and --relay exclude each other: a relayed path lives only while postern-punch holds it"
            : peerKey is null ? "--wireguard needs --peer-key, the public key of the peer WireGuard talks to"
            : WireGuardHandoff.InterfaceProblem(wireGuard) ?? WireGuardHandoff.KeyProblem(peerKey);
    }

    /// <summary>connect --resolve's options, or one sentence on what is wrong.</summary>
    public ResolveOptions? ToResolve(ParseResult result, out string? problem)
    {
        string zone = result.GetValue(Resolve)!;
        string? wireGuard = result.GetValue(WireGuard);
        string? peerKey = result.GetValue(PeerKey);
        bool excluded = new Option[] { ConnectServers, Code, Forward, Exec, MoshServer, MoshClient, Relay, Keep }.Any(o => result.GetResult(o) is { Implicit: false });
        problem = excluded ? "--resolve takes the peer's endpoint from DNS: it excludes --server, --code, --forward, --exec, --mosh-server, --mosh-client, --relay and --keep"
            : !IsZone(zone.TrimEnd('.')) ? $"--resolve: '{zone}' is not a domain name"
            : wireGuard is null || peerKey is null ? "--resolve needs --wireguard IFACE and --peer-key KEY: the endpoint goes to that peer of that interface"
            : WireGuardHandoff.InterfaceProblem(wireGuard) ?? WireGuardHandoff.KeyProblem(peerKey);
        IPEndPoint? dnsServer = null;
        if (problem is null && result.GetValue(DnsServer) is { } dnsText)
        {
            if (!ServerAddress.TrySplit(dnsText, 53, out string host, out int port, out string? split))
            {
                problem = "--dns-server: " + split;
            }
            else if (!IPAddress.TryParse(host, out IPAddress? address))
            {
                problem = $"--dns-server: '{host}' is not an IP address";
            }
            else
            {
                dnsServer = new IPEndPoint(address, port);
            }
        }
        return problem is null ? new ResolveOptions(zone.TrimEnd('.'), wireGuard!, peerKey!, dnsServer) : null;
    }

    private static bool IsZone(string zone) =>
        zone.Length is > 0 and <= 200 &&
        zone.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    /// <summary>register's options, or one sentence on what is wrong.</summary>
    public RegisterOptions? ToRegister(ParseResult result, out string? problem)
    {
        ServerAddress[] servers = result.GetValue(RegisterServer)!;
        string wireGuard = result.GetValue(RegisterWireGuard)!;
        byte[]? serverKey = Postern.Wire.WireGuardRegister.ParseKey(result.GetValue(ServerKey)!);
        problem = servers.Length > 1 ? "register takes one --server"
            : serverKey is null ? "--server-key: not a public key (44 characters of base64, as postern-reflector logs it)"
            : WireGuardHandoff.InterfaceProblem(wireGuard)
            ?? Range("--interval", result.GetValue(Interval), 0, 86400);
        return problem is null
            ? new RegisterOptions
            {
                Server = servers[0],
                ServerKey = serverKey!,
                Interface = wireGuard,
                Interval = TimeSpan.FromSeconds(result.GetValue(Interval)),
            }
            : null;
    }

    public string? ManualProblem(ParseResult result) =>
        (result.GetValue(ManualServers)!.Length > 1 ? "manual takes one --server" : null)
        ?? Range("--port", result.GetValue(ManualPort), 0, 65535)
        ?? Range("--quiet", result.GetValue(Quiet), 0, 3600)
        ?? Range("--timeout", result.GetValue(ManualTimeout), 1, 3600)
        ?? Range("--opener-ttl", result.GetValue(ManualOpenerTtl), 0, 64)
        ?? HoldProblem(result.GetValue(ManualKeepalive), result.GetValue(ManualConsent));

    private static string? HoldProblem(int keepalive, int consent) =>
        Range("--keepalive", keepalive, 1, HoldSettings.MaxKeepaliveSeconds)
        ?? Range("--consent-timeout", consent, 2, 3600)
        ?? (consent <= keepalive ? "--consent-timeout must be longer than --keepalive, or every path is lost between two checks" : null);

    private static string? Range(string flag, int value, int min, int max) =>
        value < min || value > max
            ? string.Create(CultureInfo.InvariantCulture, $"{flag}: {value} is out of range ({min} to {max})")
            : null;

    private static ServerAddress[] ParseServers(ArgumentResult result)
    {
        var servers = new List<ServerAddress>();
        foreach (Token token in result.Tokens)
        {
            foreach (string part in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                ServerAddress? server = ServerAddress.Parse(part, out string? problem);
                if (server is null)
                {
                    result.AddError(problem!);
                    return Array.Empty<ServerAddress>();
                }
                if (!servers.Exists(s => s.Canonical == server.Canonical))
                {
                    servers.Add(server);
                }
            }
        }
        if (servers.Count == 0)
        {
            result.AddError("--server: give the reflector's HOST[:PORT]");
        }
        return servers.ToArray();
    }
}
