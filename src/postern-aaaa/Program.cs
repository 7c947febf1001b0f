using System.CommandLine;
using Postern.Aaaa;
using Postern.Hosting;
using Postern.Netfilter;

// postern-aaaa: wiring only. The command line becomes AaaaArguments, which the role library
// validates; Postern.Hosting runs the service (signals, readiness, stats, metrics, exit codes).
Log.Configure("postern-aaaa");
var host = new HostCommandLine();

var chain = new Option<string[]>("--chain")
{
    Description = "Where to hook DNS queries: input (a DNS server on this host), forward (a router in front of clients), output (this host's own lookups). Repeat for several. Default: input.",
    HelpName = "input|forward|output",
    DefaultValueFactory = _ => new[] { "input" },
};
chain.AcceptOnlyFromAmong("input", "forward", "output");
var queue = new Option<ushort>("--queue") { Description = "First NFQUEUE queue number.", DefaultValueFactory = _ => 53, HelpName = "N" };
var queues = new Option<int>("--queues") { Description = $"Number of queues (1 to {AaaaArguments.MaxQueues}), spread with --queue-balance, one worker thread each.", DefaultValueFactory = _ => 1, HelpName = "COUNT" };
var qtype = new Option<string[]>("--qtype") { Description = "Also answer this query type with NODATA (HTTPS, SVCB, TYPE65, or a number). Repeatable. AAAA is always answered; A, CNAME, NS, SOA, ANY and the like are refused.", HelpName = "TYPE" };
var exceptDomain = new Option<string[]>("--except-domain") { Description = "Let this domain and every name below it keep its real answers. Repeatable.", HelpName = "NAME" };
var exceptDomainsFile = new Option<string[]>("--except-domains-file") { Description = "Read domains to except from a file, one per line ('#' comments). Repeatable.", HelpName = "PATH" };
var exceptClient = new Option<string[]>("--except-client") { Description = "Let queries from this client address or CIDR prefix pass untouched. Repeatable.", HelpName = "CIDR" };
var passDnssec = new Option<bool>("--pass-dnssec") { Description = "Let queries with the DNSSEC OK (DO) bit pass to the server." };
var auto = new Option<bool>("--auto") { Description = "Answer only while this host has no IPv6 default route; re-checked as routes change." };
var noSoa = new Option<bool>("--no-soa") { Description = "Send the bare NODATA reply, without the synthesized SOA record." };
var negativeTtl = new Option<uint>("--negative-ttl") { Description = "Negative-caching TTL of the synthesized SOA, in seconds (RFC 2308).", DefaultValueFactory = _ => 30, HelpName = "SECONDS" };
var notrackAll = new Option<bool>("--notrack-all") { Description = "Untrack every packet from the DNS port (the broad rule) instead of only Postern's own replies. Breaks NAT of replies from other DNS servers on this host." };
var noNotrack = new Option<bool>("--no-notrack") { Description = "Install no NOTRACK rule: every reply then makes a conntrack entry, and a full conntrack table makes replies fail (counted as send errors, EPERM)." };
var mark = new Option<string>("--mark") { Description = "Socket mark on Postern's replies, matched by its NOTRACK rule (decimal or 0x hex).", DefaultValueFactory = _ => new AaaaArguments().Mark, HelpName = "MARK" };
var family = new Option<string>("--family") { Description = "IP families to hook: ipv4, ipv6 or both.", DefaultValueFactory = _ => "both", HelpName = "ipv4|ipv6|both" };
family.AcceptOnlyFromAmong("ipv4", "ipv6", "both");
var port = new Option<ushort>("--port") { Description = "The DNS server port whose queries are hooked.", DefaultValueFactory = _ => 53, HelpName = "PORT" };
var noPrefilter = new Option<bool>("--no-prefilter") { Description = "Queue every query to the port, not only those the in-kernel string match picks out as AAAA (or --qtype)." };
var queueLength = new Option<uint>("--queue-length") { Description = "Packets the kernel may hold per queue before failing open.", DefaultValueFactory = _ => 4096, HelpName = "N" };
var socketBuffer = new Option<int>("--socket-buffer") { Description = "Netlink receive buffer per queue, in bytes.", DefaultValueFactory = _ => 8 << 20, HelpName = "BYTES" };
var ruleCheckInterval = new Option<int>("--rule-check-interval") { Description = $"Seconds between checks that the rules are all still in place (0 to {AaaaArguments.MaxRuleCheckInterval}; 0: no check). Rules someone else removed (iptables -F, a firewall reload) are reinstalled, logged and counted.", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
var iptables = new Option<string>("--iptables") { Description = "iptables program to use (iptables, iptables-nft, iptables-legacy, or a path); the ip6tables one is found from its name.", DefaultValueFactory = _ => "iptables", HelpName = "PROGRAM" };
var dryRun = new Option<bool>("--dry-run") { Description = "Print the iptables commands that would install the rules, and exit." };
var cleanup = new Option<bool>("--cleanup") { Description = "Remove the rules tagged for this queue (left by an instance that was killed), and exit. For ExecStopPost." };

var root = new RootCommand(
    "postern-aaaa: answers DNS AAAA queries at once with an empty NOERROR (NODATA) reply from a raw socket, " +
    "and lets every other packet through. Installs its NFQUEUE and NOTRACK rules at start and removes them " +
    "on SIGTERM, SIGHUP, SIGINT and SIGQUIT. SIGUSR1 logs the counters.")
{
    chain, queue, queues, qtype, exceptDomain, exceptDomainsFile, exceptClient, passDnssec, auto, noSoa,
    negativeTtl, notrackAll, noNotrack, mark, family, port, noPrefilter, queueLength, socketBuffer,
    ruleCheckInterval, iptables, dryRun, cleanup,
};
host.AddTo(root);

root.SetAction(result =>
{
    var arguments = new AaaaArguments
    {
        Chains = result.GetValue(chain) ?? Array.Empty<string>(),
        Queue = result.GetValue(queue),
        Queues = result.GetValue(queues),
        QueryTypes = result.GetValue(qtype) ?? Array.Empty<string>(),
        ExceptDomains = result.GetValue(exceptDomain) ?? Array.Empty<string>(),
        ExceptDomainsFiles = result.GetValue(exceptDomainsFile) ?? Array.Empty<string>(),
        ExceptClients = result.GetValue(exceptClient) ?? Array.Empty<string>(),
        PassDnssec = result.GetValue(passDnssec),
        Auto = result.GetValue(auto),
        NoSoa = result.GetValue(noSoa),
        NegativeTtl = result.GetValue(negativeTtl),
        NotrackAll = result.GetValue(notrackAll),
        NoNotrack = result.GetValue(noNotrack),
        Mark = result.GetValue(mark)!,
        Family = result.GetValue(family)!,
        Port = result.GetValue(port),
        NoPrefilter = result.GetValue(noPrefilter),
        QueueLength = result.GetValue(queueLength),
        SocketBuffer = result.GetValue(socketBuffer),
        RuleCheckInterval = result.GetValue(ruleCheckInterval),
        Iptables = result.GetValue(iptables)!,
    };
    AaaaServiceOptions? options = arguments.Build(out string? problem);
    HostOptions? hostOptions = problem is null ? host.ToOptions(result, out problem) : null;
    if (options is null || hostOptions is null)
    {
        return HostCommandLine.Usage(problem!);
    }

    using var service = new AaaaService(options);
    return RuleCommands.Run(service.Rules, result.GetValue(dryRun), result.GetValue(cleanup), () => AaaaService.CheckPrerequisites(options, cleanupOnly: true))
        ?? ServiceHost.Run(service, hostOptions);
});

return HostCommandLine.Invoke(root, args);
