using Postern.Netfilter;
using Postern.Wire;

namespace Postern.DnsGuard;

/// <summary>postern-dnsguard's options as the admin typed them, and their validation: each
/// problem is one sentence naming the flag, found before anything is touched.</summary>
public sealed record DnsGuardArguments
{
    public const ushort DefaultQueue = 153;
    public const uint MaxQueueLength = 1 << 24;
    public const int MinSocketBuffer = 64 << 10;
    public const int MaxSocketBuffer = 1 << 30;
    public const int MaxRuleCheckInterval = 86400;

    public IReadOnlyList<string> Chains { get; init; } = new[] { "forward" };
    public IReadOnlyList<string> BogusFiles { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> AllowDomains { get; init; } = Array.Empty<string>();
    public int HoldMs { get; init; }
    public IReadOnlyList<string> Servers { get; init; } = Array.Empty<string>();
    public ushort Queue { get; init; } = DefaultQueue;
    public string Family { get; init; } = "both";
    public uint QueueLength { get; init; } = 4096;
    public int SocketBuffer { get; init; } = 8 << 20;
    public int RuleCheckInterval { get; init; } = 10;
    public string Iptables { get; init; } = "iptables";
    public bool Debug { get; init; }

    public DnsGuardServiceOptions? Build(out string? problem)
    {
        var bogus = new List<AddressPrefix>();
        var servers = new List<AddressPrefix>();
        problem = Check(bogus, servers);
        if (problem is not null)
        {
            return null;
        }
        return new DnsGuardServiceOptions
        {
            Policy = new DnsGuardOptions
            {
                Bogus = new BogusList(bogus),
                AllowDomains = new DomainSet(AllowDomains),
                Servers = servers,
                HoldMs = HoldMs,
                Debug = Debug,
            },
            Rules = new DnsGuardRuleOptions
            {
                Chains = Chains.Distinct().Select(name => name == "input" ? GuardChain.Input : GuardChain.Forward).ToArray(),
                Families = Family switch
                {
                    "ipv4" => new[] { IpFamily.Ipv4 },
                    "ipv6" => new[] { IpFamily.Ipv6 },
                    _ => new[] { IpFamily.Ipv4, IpFamily.Ipv6 },
                },
                Queue = Queue,
            },
            Queue = new NfqueueOptions { QueueMaxLength = QueueLength, ReceiveBufferBytes = SocketBuffer },
            RuleCheckInterval = RuleCheckInterval,
            IptablesProgram = Iptables,
        };
    }

    private string? Check(List<AddressPrefix> bogus, List<AddressPrefix> servers)
    {
        foreach (string chain in Chains)
        {
            if (chain is not ("input" or "forward"))
            {
                return $"--chain: '{chain}' is not one of input, forward";
            }
        }
        foreach (string file in BogusFiles)
        {
            try
            {
                bogus.AddRange(BogusList.ReadFile(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"--bogus-file: cannot read {file}: {e.Message}";
            }
            catch (FormatException e)
            {
                return "--bogus-file: " + e.Message;
            }
        }
        foreach (string domain in AllowDomains)
        {
            if (DomainSet.Normalize(domain) is null)
            {
                return $"--allow-domain: '{domain}' is not a domain name";
            }
        }
        if (HoldMs != 0 && HoldMs is < AnswerGuard.MinHoldMs or > AnswerGuard.MaxHoldMs)
        {
            return $"--hold: {HoldMs} ms is out of range ({AnswerGuard.MinHoldMs} to {AnswerGuard.MaxHoldMs} ms; 0 learns it from each server's RTT)";
        }
        foreach (string text in Servers)
        {
            if (!AddressPrefix.TryParse(text, out AddressPrefix? prefix))
            {
                return $"--server: '{text}' is not an IP address or CIDR prefix";
            }
            servers.Add(prefix!);
        }
        if (Family is not ("ipv4" or "ipv6" or "both"))
        {
            return $"--family: '{Family}' is not one of ipv4, ipv6, both";
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
