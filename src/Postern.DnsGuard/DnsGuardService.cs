using Postern.Hosting;
using Postern.Interop;
using Postern.Netfilter;

namespace Postern.DnsGuard;

/// <summary>postern-dnsguard at run time: one bound queue, its owned rules, one worker thread, the
/// counters. Start binds the queue before touching any rule, removes stale rules of its tag, then
/// installs its own; a thread of its own puts back the rules someone else removed; Stop ends that
/// thread, removes the rules, then lets the worker drain the queue and release every held answer
/// (fail open), so no packet is left without a verdict.</summary>
public sealed class DnsGuardService : IRole, IDetailedReport, IDisposable
{
    private readonly DnsGuardServiceOptions _options;
    private readonly RuleSet _rules;
    private readonly AnswerGuard _guard;
    private NfqueueBinding? _binding;
    private volatile NfqueueLoop? _loop;
    private Thread? _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _stopRuleCheck = new();
    private Thread? _ruleCheck;
    private bool _rulesInstalled;

    public DnsGuardService(DnsGuardServiceOptions options)
    {
        _options = options;
        _rules = new RuleSet(new Iptables(options.IptablesProgram), DnsGuardRules.Tag(options.Rules.Queue),
            DnsGuardRules.Build(options.Rules), DnsGuardRules.AllPlaces);
        _guard = new AnswerGuard(options.Policy);
        Metrics = new MetricSet("dnsguard");
        AddMetrics();
    }

    public RuleSet Rules => _rules;

    public MetricSet Metrics { get; }

    public string Status { get; private set; } = "starting";

    public static string? CheckPrerequisites(DnsGuardServiceOptions options)
    {
        if (!Capabilities.Has(Capabilities.CAP_NET_ADMIN))
        {
            return "needs CAP_NET_ADMIN (to bind the queue and change iptables rules): run as root or grant the capability";
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

    public void Start()
    {
        string? missing = CheckPrerequisites(_options);
        if (missing is not null)
        {
            throw new StartupException(missing);
        }
        NfqueueLoop loop;
        try
        {
            _binding = NfqueueBinding.Open(_options.Rules.Queue, _options.Queue);
            loop = new NfqueueLoop(_binding, _guard, _options.Queue);
            int stale = _rules.RemoveStale();
            if (stale > 0)
            {
                Log.Notice($"removed {stale} stale rule(s) tagged {_rules.Tag} (left by an instance that did not stop cleanly)");
            }
            _rulesInstalled = true;
            _rules.Install();
        }
        catch (Exception e) when (e is NfqueueException or RuleSetException)
        {
            Release();
            throw new StartupException(e.Message, e);
        }
        _loop = loop;
        _thread = new Thread(() => loop.Run(_stop.Token)) { Name = "queue-" + loop.QueueNumber, IsBackground = true };
        _thread.Start();
        if (_options.RuleCheckInterval > 0)
        {
            _ruleCheck = new Thread(() => _rules.RepairEvery(TimeSpan.FromSeconds(_options.RuleCheckInterval), _stopRuleCheck.Token))
            {
                Name = "rule-check",
                IsBackground = true,
            };
            _ruleCheck.Start();
        }
        DnsGuardOptions policy = _options.Policy;
        Status = $"guarding DNS answers in {string.Join(',', _options.Rules.Chains.Distinct().Select(DnsGuardRules.Describe))} " +
                 $"({string.Join('+', _options.Rules.Families.Select(f => f == IpFamily.Ipv4 ? "IPv4" : "IPv6"))}), queue {_options.Rules.Queue}, " +
                 $"hold {(policy.HoldMs > 0 ? policy.HoldMs + " ms" : "learned per server")}, {policy.Bogus.Count} listed prefixes, " +
                 $"{policy.AllowDomains.Count} allowed domains, {(policy.Servers.Count > 0 ? policy.Servers.Count + " server prefixes" : "every server")}; " +
                 $"{_rules.Rules.Count} rules tagged {_rules.Tag}";
    }

    private void AddMetrics()
    {
        _guard.Counters.AddTo(Metrics);
        Metrics.AddGauge("holding", "Answers held now, waiting for a rival or the end of their window.", () => _guard.HeldNow);
        Metrics.AddCounter("queued", "Packets read from the queue (queries and answers).", () => _loop?.Received ?? 0);
        Metrics.AddCounter("held-verdicts", "Verdicts sent later for held answers (dropped or released).", () => _loop?.HeldVerdicts ?? 0);
        Metrics.AddCounter("queue-dropped", "Packets the kernel let through because the queue was full (fail open), from /proc.", () => Kernel(s => s.QueueDropped));
        Metrics.AddCounter("user-dropped", "Packets the kernel could not hand over (netlink buffer full), from /proc.", () => Kernel(s => s.UserDropped));
        Metrics.AddCounter("receive-errors", "Queue receive calls that failed.", () => _loop?.ReceiveErrors ?? 0);
        Metrics.AddCounter("verdict-errors", "Verdict sends that failed for good (after the retries).", () => _loop?.VerdictErrors ?? 0);
        Metrics.AddCounter("verdicts-lost", "Packets whose verdict could not be sent.", () => _loop?.VerdictsLost ?? 0);
        Metrics.AddCounter("handler-errors", "Batches whose handling threw (what was not answered was accepted).", () => _loop?.HandlerErrors ?? 0);
        Metrics.AddCounter("rules-repaired", "Rules found missing (removed by someone else) and reinstalled by the periodic check.", () => _rules.Reinstalled);
    }

    private long Kernel(Func<QueueKernelStats, long> read) =>
        _loop is { } loop && QueueKernelStats.TryRead(loop.QueueNumber, out QueueKernelStats stats) ? read(stats) : 0;

    public IEnumerable<string> ReportLines() => _guard.DescribeProfiles();

    public void Stop()
    {
        _stopRuleCheck.Cancel();
        _ruleCheck?.Join();
        _ruleCheck = null;
        if (_rulesInstalled)
        {
            int removed = _rules.Remove();
            _rulesInstalled = false;
            Log.Info($"removed {removed} rule(s) tagged {_rules.Tag}");
            if (_rules.RemoveFailure is { } failure)
            {
                Log.Error($"rules tagged {_rules.Tag} left behind ({failure}); they let traffic through (--queue-bypass), and postern-dnsguard --cleanup removes them");
            }
        }
        _stop.Cancel();
        if (_thread is not null)
        {
            // The drain ends with every held answer released.
            QueueWorkers.JoinAll(new[] { _thread }, Log.Warning);
            _thread = null;
        }
        Release();
    }

    private void Release()
    {
        if (_rulesInstalled)
        {
            _rules.Remove();
            _rulesInstalled = false;
        }
        _binding?.Dispose();
        _binding = null;
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
        _stopRuleCheck.Dispose();
    }
}
