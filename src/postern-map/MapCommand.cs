using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Map;

namespace Postern.MapCli;

/// <summary>The command line: every flag, its description, and how it becomes <see cref="MapOptions"/>.</summary>
internal sealed class MapCommand
{
    private static readonly MapOptions s_defaults = new();

    public Option<bool> Udp { get; } = new("--udp") { Description = "Keep a UDP port mapped (STUN over UDP)" };

    public Option<bool> Tcp { get; } = new("--tcp") { Description = "Keep a TCP port mapped (STUN over a kept TCP connection from the port)" };

    public Option<IPEndPoint?> Bind { get; } = new("--bind", "-b")
    {
        Description = "The local port to keep open, [IP:]PORT (IPv6 in brackets); the local service listens on it too " +
                      "(with SO_REUSEADDR or SO_REUSEPORT) [required]",
        HelpName = "[IP:]PORT",
        CustomParser = ParseBind,
    };

    public Option<string[]> Server { get; } = new("--server", "-s")
    {
        Description = "STUN server HOST[:PORT] (port 3478 unless given; IPv6 in brackets); give it again for more, tried in " +
                      "order. A server with an RFC 5780 other address (postern-reflector --alternate) also verifies inbound; needed unless the gateway maps the port (PCP, NAT-PMP)",
        HelpName = "HOST[:PORT]",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Hook { get; } = new("--hook", "-e")
    {
        Description = "Run CMD (through /bin/sh) when the public address or port is learned or changes, with NATMap's " +
                      "arguments after it: public address, public port, IP4P address, private port, protocol, private address",
        HelpName = "CMD",
    };

    public Option<int> HookTimeout { get; } = new("--hook-timeout")
    {
        Description = "Kill the hook (and its children) after this long; a failed hook is logged, never fatal",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => (int)s_defaults.HookTimeout.TotalSeconds,
    };

    public Option<int> Keepalive { get; } = new("--keepalive", "-k")
    {
        Description = "Seconds between keepalives (a Binding request on the kept path), so the mapping never idles out",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => (int)s_defaults.Keepalive.TotalSeconds,
    };

    public Option<int> Check { get; } = new("--check", "-c")
    {
        Description = "A full check (every server, the NAT's mapping and filtering) every N keepalives, and after any lost one",
        HelpName = "N",
        DefaultValueFactory = _ => s_defaults.CheckEvery,
    };

    public Option<int> StunTimeout { get; } = new("--stun-timeout")
    {
        Description = "Seconds one STUN transaction waits for its answer (UDP retransmits meanwhile)",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => (int)s_defaults.StunTimeout.TotalSeconds,
    };

    public Option<IPEndPoint?> ForwardTo { get; } = new("--forward-to", "-t")
    {
        Description = "Forward new inbound flows to the kept port to HOST:PORT (an address of this host, not loopback, or a " +
                      "host routed through it) with a tagged DNAT rule, so the service sees the clients' real addresses; needs " +
                      "CAP_NET_ADMIN and iptables. Removed on stop; a killed instance's rule goes at the next start or with --cleanup",
        HelpName = "HOST:PORT",
        CustomParser = HostCommandLine.EndpointParser("--forward-to"),
    };

    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "Print the iptables commands --forward-to would run, and exit" };

    public Option<bool> Cleanup { get; } = new("--cleanup")
    {
        Description = "Remove the --forward-to rule tagged for this transport and port (left by an instance that was killed), and exit",
    };

    public Option<bool> KeepTrying { get; } = new("--keep-trying")
    {
        Description = "Go on and re-check when no server answers or the NAT's mapping depends on the destination (a " +
                      "symmetric NAT), instead of exiting with status 1",
    };

    public Option<string> GatewayProtocols { get; } = new("--gateway-protocols")
    {
        Description = "Ask the gateway for the mapping first, with these protocols in this order, before STUN: a comma-separated " +
                      "list of pcp (RFC 6887) and natpmp (RFC 6886), or none for STUN only",
        HelpName = "LIST",
        DefaultValueFactory = _ => "pcp,natpmp",
    };

    public Option<bool> Upnp { get; } = new("--upnp")
    {
        Description = "Also ask the gateway's UPnP Internet Gateway Device (SSDP search, then SOAP AddPortMapping of the bound port), " +
                      "after the --gateway-protocols got no mapping; with --gateway-protocols none, UPnP alone. Off by default",
    };

    public Option<IPAddress?> Gateway { get; } = new("--gateway", "-g")
    {
        Description = "The gateway to ask (PCP, NAT-PMP), an IPv4 address; the default route's gateway unless given",
        HelpName = "IP",
        CustomParser = ParseGateway,
    };

    public Option<int> Lease { get; } = new("--lease")
    {
        Description = "The mapping lifetime asked of the gateway, in seconds; renewed at half what it grants, deleted on stop",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => (int)s_defaults.Lease.TotalSeconds,
    };

    public HostCommandLine Host { get; } = new();

    public RootCommand Build()
    {
        var root = new RootCommand(
            "postern-map: keeps a port open behind NAT and says where it is. Asks the gateway for a mapping of --bind first " +
            "(PCP, then NAT-PMP, then UPnP IGD with --upnp; renewed at half its lifetime, deleted on stop); when the gateway grants none, or is itself behind " +
            "another NAT, learns the public address and port from STUN servers, keeps the mapping alive, checks it again every --check keepalives and on any error, verifies " +
            "that a host never contacted can reach it (RFC 5780), refuses a mapping that depends on the destination, and " +
            "runs --hook with NATMap's arguments whenever the public endpoint changes. Ready once the first mapping is known. " +
            "Signals: SIGTERM, SIGINT, SIGHUP and SIGQUIT stop, SIGUSR1 logs the counters.");
        foreach (Option option in new Option[] { Udp, Tcp, Bind, Server, Hook, HookTimeout, Keepalive, Check, StunTimeout, GatewayProtocols, Upnp, Gateway, Lease, ForwardTo, KeepTrying, DryRun, Cleanup })
        {
            root.Options.Add(option);
        }
        Host.AddTo(root);
        return root;
    }

    /// <summary>The options, or one sentence on what is wrong with them.</summary>
    public MapOptions? ToOptions(ParseResult result, out string? problem)
    {
        bool udp = result.GetValue(Udp);
        bool tcp = result.GetValue(Tcp);
        if (udp == tcp)
        {
            problem = udp ? "--udp and --tcp: give one of them, not both (run two instances for both)" : "--udp or --tcp is required";
            return null;
        }
        if (result.GetValue(Bind) is not { } bind)
        {
            problem = "--bind: the port to keep open is required ([IP:]PORT)";
            return null;
        }
        var servers = new List<(string, int)>();
        foreach (string text in result.GetValue(Server) ?? Array.Empty<string>())
        {
            if (!HostEndpoint.TrySplit(text, MapOptions.DefaultServerPort, out string host, out int port, out string? why))
            {
                problem = "--server: " + why;
                return null;
            }
            servers.Add((host, port));
        }
        if (!TryParseGatewayProtocols(result.GetValue(GatewayProtocols) ?? "", out List<GatewayProtocol> protocols, out problem))
        {
            return null;
        }
        if (result.GetValue(Upnp))
        {
            protocols.Add(GatewayProtocol.Upnp);
        }
        problem = null;
        return new MapOptions
        {
            Protocol = udp ? MapProtocol.Udp : MapProtocol.Tcp,
            Bind = bind,
            Servers = servers,
            Hook = result.GetValue(Hook),
            HookTimeout = TimeSpan.FromSeconds(result.GetValue(HookTimeout)),
            Keepalive = TimeSpan.FromSeconds(result.GetValue(Keepalive)),
            CheckEvery = result.GetValue(Check),
            StunTimeout = TimeSpan.FromSeconds(result.GetValue(StunTimeout)),
            KeepTrying = result.GetValue(KeepTrying),
            ForwardTo = result.GetValue(ForwardTo),
            GatewayProtocols = protocols,
            Gateway = result.GetValue(Gateway),
            Lease = TimeSpan.FromSeconds(result.GetValue(Lease)),
        };
    }

    /// <summary>"pcp,natpmp", "natpmp", "none": each once, in the order given.</summary>
    internal static bool TryParseGatewayProtocols(string text, out List<GatewayProtocol> protocols, out string? problem)
    {
        protocols = new List<GatewayProtocol>();
        problem = null;
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        foreach (string part in text.Split(','))
        {
            GatewayProtocol? protocol = part.Trim().ToLowerInvariant() switch
            {
                "pcp" => GatewayProtocol.Pcp,
                "natpmp" or "nat-pmp" => GatewayProtocol.NatPmp,
                _ => null,
            };
            if (protocol is not { } known)
            {
                problem = $"--gateway-protocols: '{part.Trim()}' is not pcp, natpmp or none" +
                          (part.Trim().Equals("upnp", StringComparison.OrdinalIgnoreCase) ? " (UPnP IGD is asked with --upnp)" : "");
                return false;
            }
            if (protocols.Contains(known))
            {
                problem = $"--gateway-protocols: '{part.Trim()}' is named twice";
                return false;
            }
            protocols.Add(known);
        }
        return true;
    }

    private static IPAddress? ParseGateway(ArgumentResult result)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            result.AddError($"--gateway: '{text}' is not an IPv4 address");
            return null;
        }
        return address;
    }

    /// <summary>PORT, IPv4:PORT or [IPv6]:PORT.</summary>
    private static IPEndPoint? ParseBind(ArgumentResult result)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort bare))
        {
            return new IPEndPoint(IPAddress.Any, bare);
        }
        if (!HostEndpoint.TryParse(text, out IPEndPoint? endpoint, out string? problem))
        {
            result.AddError("--bind: " + problem);
            return null;
        }
        if (endpoint.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            result.AddError($"--bind: '{text}' is not an IP address and port");
            return null;
        }
        return endpoint;
    }
}
