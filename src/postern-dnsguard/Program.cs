using System.CommandLine;
using Postern.DnsGuard;
using Postern.Hosting;
using Postern.Netfilter;

// postern-dnsguard: wiring only. The command line becomes DnsGuardArguments, which the role
// library validates; Postern.Hosting runs the service (signals, readiness, stats, exit codes).
Log.Configure("postern-dnsguard");
var host = new HostCommandLine();

var chain = new Option<string[]>("--chain")
{
    Description = "Where to guard DNS answers: forward (a router in front of clients; queries and answers pass through FORWARD) or input (this host's own resolver: queries in OUTPUT, answers in INPUT). Repeat for both. Default: forward.",
    HelpName = "input|forward",
    DefaultValueFactory = _ => new[] { "forward" },
};
chain.AcceptOnlyFromAmong("input", "forward");
var bogusFile = new Option<string[]>("--bogus-file") { Description = "A file of forged addresses and prefixes (IPv4 and IPv6, one a line, '#' comments): answers carrying one are dropped. Repeatable.", HelpName = "PATH" };
var allowDomain = new Option<string[]>("--allow-domain") { Description = "Answers for this name and every name below it may carry a listed address (for example IPv4-in-IPv6 names under 2001::/32). Repeatable.", HelpName = "NAME" };
var hold = new Option<int>("--hold") { Description = $"How long a suspicious answer is held for a later real one, in ms ({AnswerGuard.MinHoldMs} to {AnswerGuard.MaxHoldMs}). Default 0: twice the server's smoothed RTT plus 10 ms, bounded, {AnswerGuard.DefaultHoldMs} ms until it is learned.", HelpName = "MS" };
var server = new Option<string[]>("--server") { Description = "Judge only answers from this server address or CIDR prefix; others pass untouched. Repeatable. Default: every server.", HelpName = "CIDR" };
var queue = new Option<ushort>("--queue") { Description = "NFQUEUE queue number.", DefaultValueFactory = _ => DnsGuardArguments.DefaultQueue, HelpName = "N" };
var family = new Option<string>("--family") { Description = "IP families to guard: ipv4, ipv6 or both.", DefaultValueFactory = _ => "both", HelpName = "ipv4|ipv6|both" };
family.AcceptOnlyFromAmong("ipv4", "ipv6", "both");
var queueLength = new Option<uint>("--queue-length") { Description = "Packets the kernel may hold in the queue before failing open.", DefaultValueFactory = _ => 4096, HelpName = "N" };
var socketBuffer = new Option<int>("--socket-buffer") { Description = "Netlink receive buffer of the queue, in bytes.", DefaultValueFactory = _ => 8 << 20, HelpName = "BYTES" };
var ruleCheckInterval = new Option<int>("--rule-check-interval") { Description = $"Seconds between checks that the rules are all still in place (0 to {DnsGuardArguments.MaxRuleCheckInterval}; 0: no check).", DefaultValueFactory = _ => 10, HelpName = "SECONDS" };
var iptables = new Option<string>("--iptables") { Description = "iptables program to use (iptables, iptables-nft, iptables-legacy, or a path); the ip6tables one is found from its name.", DefaultValueFactory = _ => "iptables", HelpName = "PROGRAM" };
var debug = new Option<bool>("--debug") { Description = "Log every verdict that changes anything (held, dropped, won, released) with its reason, at debug level." };
var dryRun = new Option<bool>("--dry-run") { Description = "Print the iptables commands that would install the rules, and exit." };
var cleanup = new Option<bool>("--cleanup") { Description = "Remove the rules tagged for this queue (left by an instance that was killed), and exit. For ExecStopPost." };

var root = new RootCommand(
    "postern-dnsguard: drops forged DNS answers that race the real one. Answers that match their server's learned " +
    "profile (IP TTL, OPT, round-trip time) pass at once; answers carrying a listed address are dropped; others are " +
    "held for a short window, and a later matching answer to the same query wins. Installs its NFQUEUE rules at start " +
    "and removes them on SIGTERM, SIGHUP, SIGINT and SIGQUIT; held answers are released on stop. SIGUSR1 logs the " +
    "counters and each server's profile.")
{
    chain, bogusFile, allowDomain, hold, server, queue, family, queueLength, socketBuffer, ruleCheckInterval, iptables,
    debug, dryRun, cleanup,
};
host.AddTo(root);

root.SetAction(result =>
{
    var arguments = new DnsGuardArguments
    {
        Chains = result.GetValue(chain) ?? Array.Empty<string>(),
        BogusFiles = result.GetValue(bogusFile) ?? Array.Empty<string>(),
        AllowDomains = result.GetValue(allowDomain) ?? Array.Empty<string>(),
        HoldMs = result.GetValue(hold),
        Servers = result.GetValue(server) ?? Array.Empty<string>(),
        Queue = result.GetValue(queue),
        Family = result.GetValue(family)!,
        QueueLength = result.GetValue(queueLength),
        SocketBuffer = result.GetValue(socketBuffer),
        RuleCheckInterval = result.GetValue(ruleCheckInterval),
        Iptables = result.GetValue(iptables)!,
        Debug = result.GetValue(debug),
    };
    DnsGuardServiceOptions? options = arguments.Build(out string? problem);
    HostOptions? hostOptions = problem is null ? host.ToOptions(result, out problem) : null;
    if (options is null || hostOptions is null)
    {
        return HostCommandLine.Usage(problem!);
    }

    using var service = new DnsGuardService(options);
    return RuleCommands.Run(service.Rules, result.GetValue(dryRun), result.GetValue(cleanup), () => DnsGuardService.CheckPrerequisites(options))
        ?? ServiceHost.Run(service, hostOptions);
});

return HostCommandLine.Invoke(root, args);
