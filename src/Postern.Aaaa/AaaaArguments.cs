using System.Globalization;
using Postern.Netfilter;
using Postern.Wire;

namespace Postern.Aaaa;

/// <summary>postern-aaaa's options as the admin typed them, and their validation: each problem is
/// one sentence naming the flag, found before anything is touched.</summary>
public sealed record AaaaArguments
{
    public const int MaxQueues = 64;
    public const uint MaxQueueLength = 1 << 24;
    public const int MinSocketBuffer = 64 << 10;
    public const int MaxSocketBuffer = 1 << 30;
    public const int MaxRuleCheckInterval = 86400;

    /// <summary>Types whose NODATA would black-hole the names asked (no address at all, a broken
    /// alias or delegation, a zone transfer): refused for --qtype.</summary>
    private static readonly ushort[] s_refusedTypes =
    {
        DnsType.A, DnsType.NS, DnsType.CNAME, DnsType.SOA, DnsType.DNAME, DnsType.OPT, DnsType.IXFR, DnsType.AXFR, DnsType.ANY,
    };

    public IReadOnlyList<string> Chains { get; init; } = new[] { "input" };
    public ushort Queue { get; init; } = 53;
    public int Queues { get; init; } = 1;
    public IReadOnlyList<string> QueryTypes { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExceptDomains { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExceptDomainsFiles { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExceptClients { get; init; } = Array.Empty<string>();
    public bool PassDnssec { get; init; }
    public bool Auto { get; init; }
    public bool NoSoa { get; init; }
    public uint NegativeTtl { get; init; } = 30;
    public bool NotrackAll { get; init; }
    public bool NoNotrack { get; init; }
    public string Mark { get; init; } = "0x" + AaaaRules.DefaultMark.ToString("x", CultureInfo.InvariantCulture);
    public string Family { get; init; } = "both";
    public ushort Port { get; init; } = 53;
    public bool NoPrefilter { get; init; }
    public uint QueueLength { get; init; } = 4096;
    public int SocketBuffer { get; init; } = 8 << 20;
    public int RuleCheckInterval { get; init; } = 10;
    public string Iptables { get; init; } = "iptables";

    /// <summary>The service's options, or null with <paramref name="problem"/> saying why.</summary>
    public AaaaServiceOptions? Build(out string? problem)
    {
        problem = Check(out List<ushort> queryTypes, out List<string> domains, out List<AddressPrefix> clients, out uint mark);
        if (problem is not null)
        {
            return null;
        }
        IpFamily[] families = Family switch
        {
            "ipv4" => new[] { IpFamily.Ipv4 },
            "ipv6" => new[] { IpFamily.Ipv6 },
            _ => new[] { IpFamily.Ipv4, IpFamily.Ipv6 },
        };
        HookChain[] chains = Chains.Distinct().Select(name => name switch
        {
            "forward" => HookChain.Forward,
            "output" => HookChain.Output,
            _ => HookChain.Input,
        }).ToArray();
        ushort[] types = queryTypes.Distinct().ToArray();
        return new AaaaServiceOptions
        {
            Policy = new AaaaOptions
            {
                QueryTypes = types,
                ExceptDomains = new DomainSet(domains),
                ExceptClients = clients,
                PassDnssec = PassDnssec,
                IncludeSoa = !NoSoa,
                NegativeTtl = NegativeTtl,
            },
            Rules = new AaaaRuleOptions
            {
                Chains = chains,
                Families = families,
                FirstQueue = Queue,
                QueueCount = Queues,
                Port = Port,
                QueryTypes = types,
                Prefilter = !NoPrefilter,
                Mark = mark,
                NotrackAll = NotrackAll,
                NoNotrack = NoNotrack,
            },
            Queue = new NfqueueOptions
            {
                QueueMaxLength = QueueLength,
                ReceiveBufferBytes = SocketBuffer,
            },
            Auto = Auto,
            RuleCheckInterval = RuleCheckInterval,
            IptablesProgram = Iptables,
        };
    }

    private string? Check(out List<ushort> queryTypes, out List<string> domains, out List<AddressPrefix> clients, out uint mark)
    {
        queryTypes = new List<ushort> { DnsType.AAAA };
        domains = new List<string>(ExceptDomains);
        clients = new List<AddressPrefix>();
        mark = 0;

        foreach (string chain in Chains)
        {
            if (chain is not ("input" or "forward" or "output"))
            {
                return $"--chain: '{chain}' is not one of input, forward, output";
            }
        }
        foreach (string text in QueryTypes)
        {
            if (!DnsType.TryParse(text, out ushort type))
            {
                return $"--qtype: '{text}' is not a DNS type (use a name such as HTTPS or SVCB, TYPEnn, or a number)";
            }
            if (Array.IndexOf(s_refusedTypes, type) >= 0)
            {
                return $"--qtype: answering {DnsType.Name(type)} with NODATA would leave clients without the names they ask for; only types whose absence clients survive (such as HTTPS and SVCB) may be answered";
            }
            queryTypes.Add(type);
        }
        foreach (string file in ExceptDomainsFiles)
        {
            try
            {
                domains.AddRange(DomainSet.ReadFile(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"--except-domains-file: cannot read {file}: {e.Message}";
            }
        }
        foreach (string domain in domains)
        {
            if (DomainSet.Normalize(domain) is null)
            {
                return $"--except-domain: '{domain}' is not a domain name";
            }
        }
        foreach (string text in ExceptClients)
        {
            if (!AddressPrefix.TryParse(text, out AddressPrefix? prefix))
            {
                return $"--except-client: '{text}' is not an IP address or CIDR prefix";
            }
            clients.Add(prefix!);
        }
        bool markOk = Mark.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(Mark.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mark)
            : uint.TryParse(Mark, NumberStyles.None, CultureInfo.InvariantCulture, out mark);
        if (!markOk || mark == 0)
        {
            return $"--mark: '{Mark}' is not a non-zero 32-bit number";
        }
        if (Family is not ("ipv4" or "ipv6" or "both"))
        {
            return $"--family: '{Family}' is not one of ipv4, ipv6, both";
        }
        if (Queues is < 1 or > MaxQueues)
        {
            return $"--queues: {Queues} is out of range (1 to {MaxQueues})";
        }
        if (Queue + Queues - 1 > ushort.MaxValue)
        {
            return $"--queue {Queue} with --queues {Queues} goes past queue 65535";
        }
        if (Port == 0)
        {
            return "--port: 0 is not a DNS server port (1 to 65535)";
        }
        if (NegativeTtl > int.MaxValue)
        {
            return "--negative-ttl: at most 2147483647 seconds (RFC 2181 section 8)";
        }
        if (NotrackAll && NoNotrack)
        {
            return "--notrack-all and --no-notrack contradict each other: choose one";
        }
        if (QueueLength is < 1 or > MaxQueueLength)
        {
            return $"--queue-length: {QueueLength} is out of range (1 to {MaxQueueLength})";
        }
        if (SocketBuffer is < MinSocketBuffer or > MaxSocketBuffer)
        {
            return $"--socket-buffer: {SocketBuffer} is out of range ({MinSocketBuffer} to {MaxSocketBuffer} bytes)";
        }
        if (RuleCheckInterval is < 0 or > MaxRuleCheckInterval)
        {
            return $"--rule-check-interval: {RuleCheckInterval} is out of range (0 to {MaxRuleCheckInterval} seconds; 0 turns the check off)";
        }
        if (Iptables.Length == 0)
        {
            return "--iptables: the program name is empty";
        }
        return null;
    }
}
