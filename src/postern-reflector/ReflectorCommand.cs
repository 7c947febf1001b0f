using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Postern.Hosting;
using Postern.Reflector;

namespace Postern.ReflectorCli;

/// <summary>The command line: every flag, its description, and how it becomes
/// <see cref="ReflectorOptions"/>.</summary>
internal sealed class ReflectorCommand
{
    private static readonly RateLimitOptions s_rateDefaults = new();

    public Option<ListenEndpoint[]> Listen { get; } = new("--listen", "-l")
    {
        Description = "Where to listen: udp:HOST:PORT or tcp:HOST:PORT, IPv6 hosts in brackets, several separated by " +
                      "commas or spaces or given again [default: udp:[::]:3478,tcp:[::]:3478,udp:[::]:2727]",
        HelpName = "udp|tcp:HOST:PORT",
        AllowMultipleArgumentsPerToken = true,
        CustomParser = ParseListen,
    };

    public Option<IPEndPoint?> Alternate { get; } = new("--alternate")
    {
        Description = "RFC 5780: the second IP address and port (both must be local). With it, the first UDP --listen " +
                      "address (which must name its IP) answers CHANGE-REQUEST from the other IP and/or port and " +
                      "sends RESPONSE-ORIGIN and OTHER-ADDRESS",
        HelpName = "IP:PORT",
        CustomParser = ParseAlternate,
    };

    public Option<int> Workers { get; } = new("--workers")
    {
        HelpName = "N",
        Description = "Threads per UDP address, each with its own SO_REUSEPORT socket",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public Option<bool> StrictSize { get; } = new("--strict-size")
    {
        Description = "Never answer with more bytes than the request had: larger answers are not sent (amplification factor at most 1)",
    };

    public Option<bool> LogRequests { get; } = new("--log-requests")
    {
        Description = "Log one line per request (off by default: only counters are logged)",
    };

    public Option<string> Software { get; } = new("--software")
    {
        Description = "Text of the STUN SOFTWARE attribute in every STUN answer (none by default)",
        HelpName = "TEXT",
        DefaultValueFactory = _ => "",
    };

    public Option<int> RateLimit { get; } = new("--rate-limit")
    {
        HelpName = "N",
        Description = "Answers per second per source (an IPv4 /32 or an IPv6 /64)",
        DefaultValueFactory = _ => s_rateDefaults.PerSourceRate,
    };

    public Option<int> RateBurst { get; } = new("--rate-burst")
    {
        HelpName = "N",
        Description = "Answers a source may have at once before --rate-limit applies",
        DefaultValueFactory = _ => s_rateDefaults.PerSourceBurst,
    };

    public Option<int> RatePrefix4 { get; } = new("--rate-prefix4")
    {
        HelpName = "N",
        Description = "IPv4 prefix length that makes one source for rate limiting",
        DefaultValueFactory = _ => s_rateDefaults.Ipv4PrefixLength,
    };

    public Option<int> RatePrefix6 { get; } = new("--rate-prefix6")
    {
        HelpName = "N",
        Description = "IPv6 prefix length that makes one source for rate limiting (at most 64)",
        DefaultValueFactory = _ => s_rateDefaults.Ipv6PrefixLength,
    };

    public Option<int> GlobalRate { get; } = new("--global-rate")
    {
        HelpName = "N",
        Description = "Answers per second over all sources together; 0 for no global budget",
        DefaultValueFactory = _ => s_rateDefaults.GlobalRate,
    };

    public Option<int> RateTable { get; } = new("--rate-table")
    {
        HelpName = "N",
        Description = "Sources tracked at once by the rate limiter (a fixed table)",
        DefaultValueFactory = _ => s_rateDefaults.TableSize,
    };

    public Option<bool> NoRateLimit { get; } = new("--no-rate-limit")
    {
        Description = "Answer every request: no per-source and no global budget (for benchmarks and closed networks)",
    };

    public Option<int> MaxTcpConnections { get; } = new("--max-tcp-connections")
    {
        HelpName = "N",
        Description = "TCP connections served at once; more are closed at once",
        DefaultValueFactory = _ => 1024,
    };

    public Option<int> RendezvousTable { get; } = new("--rendezvous-table")
    {
        HelpName = "N",
        Description = "Rendezvous tokens held at once for postern-punch (a fixed table; an entry lives 60 s after its " +
                      "last request; new tokens are refused while it is full)",
        DefaultValueFactory = _ => Postern.Reflector.RendezvousTable.DefaultCapacity,
    };

    public Option<bool> NoRendezvous { get; } = new("--no-rendezvous")
    {
        Description = "Do not pair postern-punch peers: requests with a rendezvous token get a plain Binding answer",
    };

    public Option<string?> DnsSd { get; } = new("--dns-sd")
    {
        Description = "Publish the WireGuard endpoints that peers register (postern-punch register) as DNS-SD records under " +
                      "this zone, named as wgsd names them: _wireguard._udp.ZONE PTR, and per key <base32 key>._wireguard._udp.ZONE " +
                      "SRV, A/AAAA and TXT; served on --dns-listen. Needs --dns-sd-key",
        HelpName = "ZONE",
    };

    public Option<ListenEndpoint[]> DnsListen { get; } = new("--dns-listen")
    {
        Description = "With --dns-sd: where to serve DNS, udp:HOST:PORT and/or tcp:HOST:PORT, several separated by commas or " +
                      "given again [default: udp:[::]:53,tcp:[::]:53]",
        HelpName = "udp|tcp:HOST:PORT",
        AllowMultipleArgumentsPerToken = true,
        CustomParser = ParseListen,
    };

    public Option<string?> DnsSdKey { get; } = new("--dns-sd-key")
    {
        Description = "With --dns-sd: a file with the reflector's X25519 private key in wg's base64 form (made with 'wg genkey'); " +
                      "its public key is logged at start and is what postern-punch register --server-key is given",
        HelpName = "FILE",
    };

    public Option<int> DnsSdTtl { get; } = new("--dns-sd-ttl")
    {
        Description = $"With --dns-sd: the TTL of every record, in seconds; a registration not renewed within " +
                      $"{DnsSdOptions.LifetimeInTtls} TTLs is dropped",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => DnsSdOptions.DefaultTtlSeconds,
    };

    public Option<int> DnsSdTable { get; } = new("--dns-sd-table")
    {
        Description = "With --dns-sd: WireGuard keys held at once (new keys are refused while it is full)",
        HelpName = "N",
        DefaultValueFactory = _ => DnsSdOptions.DefaultTableSize,
    };

    public HostCommandLine Host { get; } = new();

    public RootCommand Build()
    {
        var root = new RootCommand(
            "postern-reflector: tells every client its public address and port. Any UDP datagram that is not STUN " +
            "gets \"Your address is ('203.0.113.7', 40060)\\n\"; STUN Binding requests (RFC 8489, RFC 3489, RFC 5780 " +
            "with --alternate) get a STUN answer, over UDP and TCP. Over UDP it pairs postern-punch peers that send the same " +
            "rendezvous token (docs/punch-protocol.md), and with --dns-sd publishes the WireGuard endpoints peers register as " +
            "DNS-SD records. Signals: SIGTERM, SIGINT, SIGHUP and SIGQUIT stop, SIGUSR1 logs the counters.");
        root.Options.Add(Listen);
        root.Options.Add(Alternate);
        root.Options.Add(Workers);
        root.Options.Add(StrictSize);
        root.Options.Add(LogRequests);
        root.Options.Add(Software);
        root.Options.Add(RateLimit);
        root.Options.Add(RateBurst);
        root.Options.Add(RatePrefix4);
        root.Options.Add(RatePrefix6);
        root.Options.Add(GlobalRate);
        root.Options.Add(RateTable);
        root.Options.Add(NoRateLimit);
        root.Options.Add(MaxTcpConnections);
        root.Options.Add(RendezvousTable);
        root.Options.Add(NoRendezvous);
        root.Options.Add(DnsSd);
        root.Options.Add(DnsListen);
        root.Options.Add(DnsSdKey);
        root.Options.Add(DnsSdTtl);
        root.Options.Add(DnsSdTable);
        Host.AddTo(root);
        return root;
    }

    /// <summary>The options, or null and one sentence on what is wrong with the DNS-SD flags (the
    /// rest is checked by <see cref="ReflectorServer.Validate"/>).</summary>
    public ReflectorOptions? ToOptions(ParseResult result, out string? problem)
    {
        DnsSdOptions? dnsSd = ToDnsSd(result, out problem);
        if (problem is not null)
        {
            return null;
        }
        ListenEndpoint[]? listen = result.GetValue(Listen);
        return new ReflectorOptions
        {
            DnsSd = dnsSd,
            Listen = listen is { Length: > 0 } ? listen : ListenEndpoint.Defaults,
            Alternate = result.GetValue(Alternate),
            Workers = result.GetValue(Workers),
            StrictSize = result.GetValue(StrictSize),
            LogRequests = result.GetValue(LogRequests),
            Software = result.GetValue(Software) ?? "",
            MaxTcpConnections = result.GetValue(MaxTcpConnections),
            Rendezvous = !result.GetValue(NoRendezvous),
            RendezvousTableSize = result.GetValue(RendezvousTable),
            RateLimit = new RateLimitOptions
            {
                Enabled = !result.GetValue(NoRateLimit),
                PerSourceRate = result.GetValue(RateLimit),
                PerSourceBurst = result.GetValue(RateBurst),
                Ipv4PrefixLength = result.GetValue(RatePrefix4),
                Ipv6PrefixLength = result.GetValue(RatePrefix6),
                GlobalRate = result.GetValue(GlobalRate),
                TableSize = result.GetValue(RateTable),
            },
        };
    }

    private DnsSdOptions? ToDnsSd(ParseResult result, out string? problem)
    {
        problem = null;
        string? zone = result.GetValue(DnsSd);
        if (zone is null)
        {
            foreach (Option option in new Option[] { DnsListen, DnsSdKey, DnsSdTtl, DnsSdTable })
            {
                if (result.GetResult(option) is { Implicit: false })
                {
                    problem = $"{option.Name} needs --dns-sd ZONE.";
                    return null;
                }
            }
            return null;
        }
        string? keyFile = result.GetValue(DnsSdKey);
        if (keyFile is null)
        {
            problem = "--dns-sd needs --dns-sd-key FILE, the reflector's private key (made with wg genkey).";
            return null;
        }
        string text;
        try
        {
            text = File.ReadAllText(keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"--dns-sd-key: cannot read {keyFile}.";
            return null;
        }
        byte[]? key = Postern.Wire.WireGuardRegister.ParseKey(text);
        if (key is null)
        {
            problem = $"--dns-sd-key: {keyFile} does not hold a WireGuard private key (44 characters of base64, as wg genkey writes it).";
            return null;
        }
        ListenEndpoint[]? dnsListen = result.GetValue(DnsListen);
        return new DnsSdOptions
        {
            Zone = zone.TrimEnd('.').ToLowerInvariant(),
            Listen = dnsListen is { Length: > 0 } ? dnsListen : DnsSdOptions.Defaults,
            PrivateKey = key,
            TtlSeconds = result.GetValue(DnsSdTtl),
            TableSize = result.GetValue(DnsSdTable),
        };
    }

    private static ListenEndpoint[] ParseListen(ArgumentResult result)
    {
        var endpoints = new List<ListenEndpoint>();
        foreach (Token token in result.Tokens)
        {
            foreach (string part in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!ListenEndpoint.TryParse(part, out ListenEndpoint? endpoint, out string? error))
                {
                    result.AddError(error!);
                    return Array.Empty<ListenEndpoint>();
                }
                endpoints.Add(endpoint!);
            }
        }
        return endpoints.ToArray();
    }

    private static IPEndPoint? ParseAlternate(ArgumentResult result)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!ListenEndpoint.TryParseAddressAndPort(text, out IPAddress? address, out ushort port, out string? error) || port == 0)
        {
            result.AddError($"--alternate '{text}': {error ?? "the port must not be 0."}");
            return null;
        }
        return new IPEndPoint(address!, port);
    }
}
