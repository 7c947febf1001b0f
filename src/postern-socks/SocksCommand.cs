using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Postern.Hosting;
using Postern.Socks;
using Postern.Wire;

namespace Postern.SocksCli;

/// <summary>The command line: every flag, its description, and how it becomes <see cref="SocksOptions"/>.</summary>
internal sealed class SocksCommand
{
    private static readonly SocksOptions s_defaults = new();

    public Option<IPEndPoint[]> Listen { get; } = new("--listen", "-l")
    {
        Description = "TCP address to serve SOCKS5 on, HOST:PORT (IPv6 in brackets); give it again for more [default: [::]:1080]",
        HelpName = "HOST:PORT",
        CustomParser = ParseListen,
    };

    public Option<string?> Users { get; } = new("--users")
    {
        Description = "RFC 1929 username/password authentication, from FILE: one user:password per line, # comments; " +
                      "reread on SIGHUP. Without it, no authentication",
        HelpName = "FILE",
    };

    public Option<IPAddress?> PublicAddress { get; } = new("--public-address")
    {
        Description = "The address to announce as BND.ADDR in UDP ASSOCIATE replies, for a host behind 1:1 NAT (a cloud " +
                      "host's public address) [default: the address the client connected to]",
        HelpName = "IP",
        CustomParser = ParseAddress,
    };

    public Option<AddressPrefix[]> Allow { get; } = new("--allow")
    {
        Description = "Serve only clients in this prefix (CIDR); give it again for more [default: everyone]. Others get " +
                      "\"connection not allowed by ruleset\"",
        HelpName = "CIDR",
        CustomParser = ParseAllow,
    };

    public Option<int> MaxConnections { get; } = new("--max-connections")
    {
        HelpName = "N",
        Description = "TCP connections at once; more get \"no acceptable methods\" and are closed",
        DefaultValueFactory = _ => s_defaults.MaxConnections,
    };

    public Option<int> MaxAssociations { get; } = new("--max-associations")
    {
        HelpName = "N",
        Description = "UDP associations at once, in total; more are refused (reply 0x02)",
        DefaultValueFactory = _ => s_defaults.MaxAssociations,
    };

    public Option<int> MaxUserAssociations { get; } = new("--max-user-associations")
    {
        HelpName = "N",
        Description = "UDP associations at once per user (per client address without --users); more are refused (reply 0x02)",
        DefaultValueFactory = _ => s_defaults.MaxAssociationsPerUser,
    };

    public Option<int> IdleTimeout { get; } = new("--idle-timeout")
    {
        HelpName = "SECONDS",
        Description = "An association with no datagram either way for this long ends, with its TCP connection",
        DefaultValueFactory = _ => (int)s_defaults.IdleTimeout.TotalSeconds,
    };

    public Option<int> MaxDatagram { get; } = new("--max-datagram")
    {
        HelpName = "BYTES",
        Description = "The longest payload relayed over UDP; longer datagrams are dropped and counted",
        DefaultValueFactory = _ => s_defaults.MaxDatagram,
    };

    public Option<int> RelayThreads { get; } = new("--relay-threads")
    {
        HelpName = "N",
        Description = "Threads relaying UDP datagrams (associations are spread over them)",
        DefaultValueFactory = _ => s_defaults.RelayThreads,
    };

    public HostCommandLine Host { get; } = new();

    public RootCommand Build()
    {
        var root = new RootCommand(
            "postern-socks: a SOCKS5 server (RFC 1928, RFC 1929) whose UDP relay works across NAT. CONNECT and UDP " +
            "ASSOCIATE, IPv4, IPv6 and domain names. A UDP ASSOCIATE may announce zeros or a private address: the relay " +
            "takes datagrams only from the TCP peer's address, learns its port from the first one, and answers there. " +
            "ICMP errors from remote peers are counted, never fatal; an association lives as long as its TCP connection " +
            "(or until --idle-timeout). Signals: SIGTERM, SIGINT and SIGQUIT stop, SIGHUP rereads --users, SIGUSR1 logs the counters.");
        root.Options.Add(Listen);
        root.Options.Add(Users);
        root.Options.Add(PublicAddress);
        root.Options.Add(Allow);
        root.Options.Add(MaxConnections);
        root.Options.Add(MaxAssociations);
        root.Options.Add(MaxUserAssociations);
        root.Options.Add(IdleTimeout);
        root.Options.Add(MaxDatagram);
        root.Options.Add(RelayThreads);
        Host.AddTo(root);
        return root;
    }

    public SocksOptions ToOptions(ParseResult result)
    {
        IPEndPoint[]? listen = result.GetValue(Listen);
        int idle = result.GetValue(IdleTimeout);
        return new SocksOptions
        {
            Listen = listen is { Length: > 0 } ? listen : SocksOptions.DefaultListen,
            UsersFile = result.GetValue(Users),
            PublicAddress = result.GetValue(PublicAddress),
            Allow = result.GetValue(Allow) ?? Array.Empty<AddressPrefix>(),
            MaxConnections = result.GetValue(MaxConnections),
            MaxAssociations = result.GetValue(MaxAssociations),
            MaxAssociationsPerUser = result.GetValue(MaxUserAssociations),
            IdleTimeout = idle is >= 0 and <= 86_400 ? TimeSpan.FromSeconds(idle) : TimeSpan.Zero,
            MaxDatagram = result.GetValue(MaxDatagram),
            RelayThreads = result.GetValue(RelayThreads),
        };
    }

    private static IPEndPoint[] ParseListen(ArgumentResult result)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (Token token in result.Tokens)
        {
            if (!HostEndpoint.TryParse(token.Value, out IPEndPoint? endpoint, out string? problem))
            {
                result.AddError($"--listen: {problem}");
                return Array.Empty<IPEndPoint>();
            }
            endpoints.Add(endpoint);
        }
        return endpoints.ToArray();
    }

    private static IPAddress? ParseAddress(ArgumentResult result)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!IPAddress.TryParse(text, out IPAddress? address) || !text.Contains(text.Contains(':') ? ':' : '.', StringComparison.Ordinal) ||
            (!text.Contains(':') && text.Split('.').Length != 4))
        {
            result.AddError($"--public-address: '{text}' is not an IPv4 or IPv6 address");
            return null;
        }
        return address;
    }

    private static AddressPrefix[] ParseAllow(ArgumentResult result)
    {
        var prefixes = new List<AddressPrefix>();
        foreach (Token token in result.Tokens)
        {
            if (!AddressPrefix.TryParse(token.Value, out AddressPrefix? prefix))
            {
                result.AddError($"--allow: '{token.Value}' is not an address prefix (CIDR such as 198.51.100.0/24 or 2001:db8::/32)");
                return Array.Empty<AddressPrefix>();
            }
            prefixes.Add(prefix!);
        }
        return prefixes.ToArray();
    }
}
