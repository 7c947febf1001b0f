using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Postern.Aaaa;
using Postern.AaaaCli;
using Postern.Interop;
using Postern.Netfilter;

return AaaaCommand.Create().Parse(args).Invoke();

namespace Postern.AaaaCli
{
    internal static class AaaaCommand
    {
        private const int ExitOk = 0;
        private const int ExitStartup = 1;
        private const int ExitUsage = 2;

        public static RootCommand Create()
        {
            var chain = new Option<string[]>("--chain")
            {
                Description = "Where to hook DNS queries: input (a DNS server on this host), forward (a router in front of clients), output (this host's own lookups). Repeat for several. Default: input.",
                HelpName = "input|forward|output",
                AllowMultipleArgumentsPerToken = false,
                DefaultValueFactory = _ => new[] { "input" },
            };
            chain.AcceptOnlyFromAmong("input", "forward", "output");
            var queue = new Option<ushort>("--queue") { Description = "First NFQUEUE queue number.", DefaultValueFactory = _ => 53, HelpName = "N" };
            var queues = new Option<int>("--queues") { Description = "Number of queues, spread with --queue-balance, one worker thread each.", DefaultValueFactory = _ => 1, HelpName = "COUNT" };
            var qtype = new Option<string[]>("--qtype") { Description = "Also answer this query type with NODATA (HTTPS, SVCB, TYPE65, or a number). Repeatable. AAAA is always answered.", HelpName = "TYPE" };
            var exceptDomain = new Option<string[]>("--except-domain") { Description = "Let this domain and every name below it keep its real answers. Repeatable.", HelpName = "NAME" };
            var exceptDomainsFile = new Option<FileInfo[]>("--except-domains-file") { Description = "Read domains to except from a file, one per line ('#' comments). Repeatable.", HelpName = "PATH" };
            var exceptClient = new Option<string[]>("--except-client") { Description = "Let queries from this client address or CIDR prefix pass untouched. Repeatable.", HelpName = "CIDR" };
            var passDnssec = new Option<bool>("--pass-dnssec") { Description = "Let queries with the DNSSEC OK (DO) bit pass to the server." };
            var auto = new Option<bool>("--auto") { Description = "Answer only while this host has no IPv6 default route; re-checked as routes change." };
            var noSoa = new Option<bool>("--no-soa") { Description = "Send the bare NODATA reply, without the synthesized SOA record." };
            var negativeTtl = new Option<uint>("--negative-ttl") { Description = "Negative-caching TTL of the synthesized SOA, in seconds (RFC 2308).", DefaultValueFactory = _ => 30, HelpName = "SECONDS" };
            var notrackAll = new Option<bool>("--notrack-all") { Description = "Untrack every packet from the DNS port (the broad rule) instead of only Postern's own replies. Breaks NAT of replies from other DNS servers on this host." };
            var noNotrack = new Option<bool>("--no-notrack") { Description = "Install no NOTRACK rule: every reply then makes a conntrack entry, and a full conntrack table makes replies fail (counted as send errors, EPERM)." };
            var mark = new Option<string>("--mark") { Description = "Socket mark on Postern's replies, matched by its NOTRACK rule (decimal or 0x hex).", DefaultValueFactory = _ => "0x" + AaaaRules.DefaultMark.ToString("x", CultureInfo.InvariantCulture), HelpName = "MARK" };
            var family = new Option<string>("--family") { Description = "IP families to hook: ipv4, ipv6 or both.", DefaultValueFactory = _ => "both", HelpName = "ipv4|ipv6|both" };
            family.AcceptOnlyFromAmong("ipv4", "ipv6", "both");
            var port = new Option<ushort>("--port") { Description = "The DNS server port whose queries are hooked.", DefaultValueFactory = _ => 53, HelpName = "PORT" };
            var noPrefilter = new Option<bool>("--no-prefilter") { Description = "Queue every query to the port, not only those the in-kernel string match picks out as AAAA (or --qtype)." };
            var queueLength = new Option<uint>("--queue-length") { Description = "Packets the kernel may hold per queue before failing open.", DefaultValueFactory = _ => 4096, HelpName = "N" };
            var socketBuffer = new Option<int>("--socket-buffer") { Description = "Netlink receive buffer per queue, in bytes.", DefaultValueFactory = _ => 8 << 20, HelpName = "BYTES" };
            var statsInterval = new Option<int>("--stats-interval") { Description = "Seconds between one-line counter summaries (0: only on SIGUSR1 and at exit).", DefaultValueFactory = _ => 60, HelpName = "SECONDS" };
            var iptables = new Option<string>("--iptables") { Description = "iptables program to use (iptables, iptables-nft, iptables-legacy, or a path); the ip6tables one is found from its name.", DefaultValueFactory = _ => "iptables", HelpName = "PROGRAM" };
            var dryRun = new Option<bool>("--dry-run") { Description = "Print the iptables commands that would install the rules, and exit." };
            var cleanup = new Option<bool>("--cleanup") { Description = "Remove the rules tagged for this queue (left by an instance that was killed), and exit. For ExecStopPost." };

            var root = new RootCommand(
                "postern-aaaa: answers DNS AAAA queries at once with an empty NOERROR (NODATA) reply from a raw socket, " +
                "and lets every other packet through. Installs its NFQUEUE and NOTRACK rules at start and removes them " +
                "on SIGTERM, SIGHUP, SIGINT and SIGQUIT. SIGUSR1 logs the counters.")
            {
                chain, queue, queues, qtype, exceptDomain, exceptDomainsFile, exceptClient, passDnssec, auto, noSoa,
                negativeTtl, notrackAll, noNotrack, mark, family, port, noPrefilter, queueLength, socketBuffer, statsInterval,
                iptables, dryRun, cleanup,
            };

            root.SetAction(result =>
            {
                var errors = new List<string>();

                var queryTypes = new List<ushort> { Wire.DnsType.AAAA };
                foreach (string text in result.GetValue(qtype) ?? Array.Empty<string>())
                {
                    if (Wire.DnsType.TryParse(text, out ushort type))
                    {
                        queryTypes.Add(type);
                    }
                    else
                    {
                        errors.Add($"--qtype: '{text}' is not a DNS type (use a name such as HTTPS or SVCB, TYPEnn, or a number)");
                    }
                }

                var domains = new List<string>(result.GetValue(exceptDomain) ?? Array.Empty<string>());
                foreach (FileInfo file in result.GetValue(exceptDomainsFile) ?? Array.Empty<FileInfo>())
                {
                    try
                    {
                        domains.AddRange(DomainSet.ReadFile(file.FullName));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        errors.Add($"--except-domains-file: cannot read {file.FullName}: {e.Message}");
                    }
                }
                foreach (string domain in domains)
                {
                    if (DomainSet.Normalize(domain) is null)
                    {
                        errors.Add($"--except-domain: '{domain}' is not a domain name");
                    }
                }

                var clients = new List<Wire.AddressPrefix>();
                foreach (string text in result.GetValue(exceptClient) ?? Array.Empty<string>())
                {
                    if (Wire.AddressPrefix.TryParse(text, out Wire.AddressPrefix? prefix))
                    {
                        clients.Add(prefix!);
                    }
                    else
                    {
                        errors.Add($"--except-client: '{text}' is not an IP address or CIDR prefix");
                    }
                }

                uint markValue = 0;
                string markText = result.GetValue(mark)!;
                bool markOk = markText.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                    ? uint.TryParse(markText.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out markValue)
                    : uint.TryParse(markText, NumberStyles.None, CultureInfo.InvariantCulture, out markValue);
                if (!markOk || markValue == 0)
                {
                    errors.Add($"--mark: '{markText}' is not a non-zero 32-bit number");
                }

                ushort firstQueue = result.GetValue(queue);
                int queueCount = result.GetValue(queues);
                if (queueCount < 1 || queueCount > 64)
                {
                    errors.Add($"--queues: {queueCount} is out of range (1 to 64)");
                }
                else if (firstQueue + queueCount - 1 > ushort.MaxValue)
                {
                    errors.Add($"--queue {firstQueue} with --queues {queueCount} goes past queue 65535");
                }
                int statsSeconds = result.GetValue(statsInterval);
                if (statsSeconds < 0)
                {
                    errors.Add("--stats-interval: must be 0 or more seconds");
                }
                uint ttl = result.GetValue(negativeTtl);
                if (ttl > int.MaxValue)
                {
                    errors.Add("--negative-ttl: at most 2147483647 seconds (RFC 2181 section 8)");
                }
                if (result.GetValue(notrackAll) && result.GetValue(noNotrack))
                {
                    errors.Add("--notrack-all and --no-notrack contradict each other: choose one");
                }
                if (result.GetValue(queueLength) < 1)
                {
                    errors.Add("--queue-length: must be at least 1");
                }

                if (errors.Count > 0)
                {
                    foreach (string error in errors)
                    {
                        Log.Error(error);
                    }
                    return ExitUsage;
                }

                string familyText = result.GetValue(family)!;
                var families = familyText switch
                {
                    "ipv4" => new[] { IpFamily.Ipv4 },
                    "ipv6" => new[] { IpFamily.Ipv6 },
                    _ => new[] { IpFamily.Ipv4, IpFamily.Ipv6 },
                };
                var chains = (result.GetValue(chain) ?? Array.Empty<string>()).Distinct().Select(name => name switch
                {
                    "forward" => HookChain.Forward,
                    "output" => HookChain.Output,
                    _ => HookChain.Input,
                }).ToArray();

                var options = new AaaaServiceOptions
                {
                    Policy = new AaaaOptions
                    {
                        QueryTypes = queryTypes.Distinct().ToArray(),
                        ExceptDomains = new DomainSet(domains),
                        ExceptClients = clients,
                        PassDnssec = result.GetValue(passDnssec),
                        IncludeSoa = !result.GetValue(noSoa),
                        NegativeTtl = ttl,
                    },
                    Rules = new AaaaRuleOptions
                    {
                        Chains = chains,
                        Families = families,
                        FirstQueue = firstQueue,
                        QueueCount = queueCount,
                        Port = result.GetValue(port),
                        QueryTypes = queryTypes.Distinct().ToArray(),
                        Prefilter = !result.GetValue(noPrefilter),
                        Mark = markValue,
                        NotrackAll = result.GetValue(notrackAll),
                        NoNotrack = result.GetValue(noNotrack),
                    },
                    Queue = new NfqueueOptions
                    {
                        QueueMaxLength = result.GetValue(queueLength),
                        ReceiveBufferBytes = result.GetValue(socketBuffer),
                    },
                    Auto = result.GetValue(auto),
                    IptablesProgram = result.GetValue(iptables)!,
                };

                return Run(options, result.GetValue(dryRun), result.GetValue(cleanup), statsSeconds);
            });
            return root;
        }

        private static int Run(AaaaServiceOptions options, bool dryRun, bool cleanup, int statsSeconds)
        {
            var service = new AaaaService(options, Log.Info);
            if (dryRun)
            {
                foreach (string command in service.Rules.Describe())
                {
                    Console.Out.WriteLine(command);
                }
                return ExitOk;
            }

            string? missing = CheckPrerequisites(options, cleanup);
            if (missing is not null)
            {
                Log.Error(missing);
                return ExitStartup;
            }

            if (cleanup)
            {
                int removed = service.Rules.RemoveStale();
                Log.Info($"removed {removed} rule(s) tagged {service.Rules.Tag}");
                return ExitOk;
            }

            using var stopRequested = new ManualResetEventSlim();
            using var reportRequested = new AutoResetEvent(false);
            var registrations = new List<PosixSignalRegistration>();
            foreach (PosixSignal signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGHUP })
            {
                registrations.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true;
                    stopRequested.Set();
                }));
            }
            const PosixSignal SIGUSR1 = (PosixSignal)10;
            registrations.Add(PosixSignalRegistration.Create(SIGUSR1, context =>
            {
                context.Cancel = true;
                reportRequested.Set();
            }));

            try
            {
                service.Start();
            }
            catch (StartupException e)
            {
                Log.Error(e.Message);
                return ExitStartup;
            }

            SdNotify.Ready();
            Log.Info("ready");
            try
            {
                var handles = new WaitHandle[] { stopRequested.WaitHandle, reportRequested };
                int timeout = statsSeconds > 0 ? statsSeconds * 1000 : Timeout.Infinite;
                while (true)
                {
                    int which = WaitHandle.WaitAny(handles, timeout);
                    if (which == 0)
                    {
                        break;
                    }
                    Log.Info(service.Summary());
                }
            }
            finally
            {
                SdNotify.Stopping();
                service.Stop();
                Log.Info(service.Summary());
                foreach (PosixSignalRegistration registration in registrations)
                {
                    registration.Dispose();
                }
            }
            Log.Info("stopped");
            return ExitOk;
        }

        /// <summary>Names the first thing missing before any rule is touched: the capabilities and
        /// the iptables programs.</summary>
        private static string? CheckPrerequisites(AaaaServiceOptions options, bool cleanupOnly)
        {
            if (!Capabilities.Has(Capabilities.CAP_NET_ADMIN))
            {
                return "needs CAP_NET_ADMIN (to bind the queue and change iptables rules): run as root or grant the capability";
            }
            if (!cleanupOnly && !Capabilities.Has(Capabilities.CAP_NET_RAW))
            {
                return "needs CAP_NET_RAW (to send replies from a raw socket): run as root or grant the capability";
            }
            var iptables = new Iptables(options.IptablesProgram);
            foreach (IpFamily family in options.Rules.Families)
            {
                string program = iptables.Program(family);
                if (Iptables.Resolve(program) is null)
                {
                    return $"{program} not found: install iptables (Debian: apt-get install iptables), or name it with --iptables";
                }
            }
            return null;
        }
    }
}
