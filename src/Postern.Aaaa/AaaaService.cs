using System.Globalization;
using Postern.Hosting;
using Postern.Interop;
using Postern.Netfilter;

namespace Postern.Aaaa;

/// <summary>postern-aaaa at run time: raw sockets, bound queues, owned rules, one worker thread
/// per queue, and the counters. Start binds the queues before touching any rule (so a queue held
/// by another process fails cleanly), removes stale rules of its tag, then installs its own;
/// while it runs, a thread of its own puts back every --rule-check-interval seconds the rules
/// someone else removed; Stop ends that thread, removes the rules, then drains the queues so no
/// packet is left without a verdict.</summary>
public sealed class AaaaService : IRole, IDisposable
{
    private readonly AaaaServiceOptions _options;
    private readonly RuleSet _rules;
    private readonly List<RawSocket> _sockets = new();
    private readonly List<NfqueueBinding> _bindings = new();
    private readonly List<NfqueueLoop> _loops = new();
    private readonly List<AaaaCounters> _counters = new();
    // What the metrics read from other threads: published whole once the workers exist.
    private volatile NfqueueLoop[] _servingLoops = Array.Empty<NfqueueLoop>();
    private volatile AaaaCounters[] _servingCounters = Array.Empty<AaaaCounters>();
    private readonly List<Thread> _threads = new();
    private readonly CancellationTokenSource _stop = new();
    // The rule check has its own: Stop ends it before the rules go, so it never puts them back.
    private readonly CancellationTokenSource _stopRuleCheck = new();
    private Thread? _ruleCheck;
    private Ipv6RouteWatch? _routeWatch;
    private bool _rulesInstalled;

    public AaaaService(AaaaServiceOptions options)
    {
        _options = options;
        var iptables = new Iptables(options.IptablesProgram);
        _rules = new RuleSet(iptables, AaaaRules.Tag(options.Rules.FirstQueue), AaaaRules.Build(options.Rules), AaaaRules.AllPlaces);
        Metrics = new MetricSet("aaaa");
        AddMetrics();
    }

    public RuleSet Rules => _rules;

    public IReadOnlyList<NfqueueLoop> Loops => _loops;

    public MetricSet Metrics { get; }

    public string Status { get; private set; } = "starting";

    /// <summary>Names the first thing missing before any rule is touched: the capabilities and
    /// the iptables programs; null when nothing is.</summary>
    public static string? CheckPrerequisites(AaaaServiceOptions options, bool cleanupOnly)
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

    public void Start()
    {
        string? missing = CheckPrerequisites(_options, cleanupOnly: false);
        if (missing is not null)
        {
            throw new StartupException(missing);
        }
        try
        {
            bool ipv4 = _options.Rules.Families.Contains(IpFamily.Ipv4);
            bool ipv6 = _options.Rules.Families.Contains(IpFamily.Ipv6);
            if (_options.Auto)
            {
                _routeWatch = new Ipv6RouteWatch(has => Log.Notice(has
                    ? "IPv6 default route present: AAAA queries now pass to the server (--auto)"
                    : "IPv6 default route gone: answering AAAA queries again (--auto)"));
                Log.Info(_routeWatch.HasDefaultRoute
                    ? "--auto: this host has an IPv6 default route; AAAA queries pass until it goes"
                    : "--auto: no IPv6 default route; answering AAAA queries");
            }
            var policy = new AaaaPolicy(_options.Policy, _routeWatch);

            for (int i = 0; i < _options.Rules.QueueCount; i++)
            {
                ushort queue = (ushort)(_options.Rules.FirstQueue + i);
                RawSocket? socket4 = ipv4 ? Track(RawSocket.Open(4, _options.Rules.Mark, _options.SendBufferBytes)) : null;
                RawSocket? socket6 = ipv6 ? Track(RawSocket.Open(6, _options.Rules.Mark, _options.SendBufferBytes)) : null;
                NfqueueBinding binding = NfqueueBinding.Open(queue, _options.Queue);
                _bindings.Add(binding);
                var responder = new AaaaResponder(policy, socket4, socket6, _options.Queue.BatchSize);
                _counters.Add(responder.Counters);
                _loops.Add(new NfqueueLoop(binding, responder, _options.Queue));
            }

            int stale = _rules.RemoveStale();
            if (stale > 0)
            {
                Log.Notice($"removed {stale} stale rule(s) tagged {_rules.Tag} (left by an instance that did not stop cleanly)");
            }
            _rulesInstalled = true;
            _rules.Install();
        }
        catch (Exception e) when (e is NfqueueException or RuleSetException or StartupException)
        {
            Release();
            throw e as StartupException ?? new StartupException(e.Message, e);
        }

        _servingLoops = _loops.ToArray();
        _servingCounters = _counters.ToArray();
        foreach (NfqueueLoop loop in _loops)
        {
            var thread = new Thread(() => loop.Run(_stop.Token)) { Name = "queue-" + loop.QueueNumber, IsBackground = true };
            _threads.Add(thread);
            thread.Start();
        }
        if (_options.RuleCheckInterval > 0)
        {
            _ruleCheck = new Thread(() => _rules.RepairEvery(TimeSpan.FromSeconds(_options.RuleCheckInterval), _stopRuleCheck.Token))
            {
                Name = "rule-check",
                IsBackground = true,
            };
            _ruleCheck.Start();
        }
        Status = $"hooked {string.Join(',', _options.Rules.Chains.Select(AaaaRules.ChainName))} " +
                 $"({string.Join('+', _options.Rules.Families.Select(f => f == IpFamily.Ipv4 ? "IPv4" : "IPv6"))}), " +
                 $"queue{(_loops.Count > 1 ? "s" : "")} {DescribeQueues()}, answering {string.Join(',', _options.Policy.QueryTypes.Select(Wire.DnsType.Name))}" +
                 $" with NODATA{(_options.Policy.IncludeSoa ? $" + SOA (negative TTL {_options.Policy.NegativeTtl}s)" : "")}; {_rules.Rules.Count} rules tagged {_rules.Tag}";
    }

    private void StopRuleCheck()
    {
        _stopRuleCheck.Cancel();
        // Bounded by one round of iptables calls, each bounded by Iptables.Timeout.
        _ruleCheck?.Join();
        _ruleCheck = null;
    }

    private RawSocket Track(RawSocket socket)
    {
        _sockets.Add(socket);
        return socket;
    }

    private string DescribeQueues() => _loops.Count > 1
        ? $"{_options.Rules.FirstQueue}-{_options.Rules.FirstQueue + _loops.Count - 1}"
        : _options.Rules.FirstQueue.ToString(CultureInfo.InvariantCulture);

    public AaaaCounterSnapshot Counters() => AaaaCounters.Sum(_counters);

    private void AddMetrics()
    {
        AaaaCounters.AddTo(Metrics, () => _servingCounters);
        Metrics.AddCounter("queued", "Packets read from the queues.", () => SumLoops(l => l.Received));
        Metrics.AddCounter("batches", "Batches read from the queues (one system call each).", () => SumLoops(l => l.Batches));
        Metrics.AddCounter("queue-dropped", "Packets the kernel let through because a queue was full (fail open), from /proc.", () => SumKernel(s => s.QueueDropped));
        Metrics.AddCounter("user-dropped", "Packets the kernel could not hand to Postern (netlink buffer full), from /proc.", () => SumKernel(s => s.UserDropped));
        Metrics.AddCounter("overruns", "Times a queue's netlink socket overran (ENOBUFS).", () => SumLoops(l => l.Overruns));
        Metrics.AddGauge("waiting", "Packets waiting in the queues for a verdict, from /proc.", () => SumKernel(s => s.Waiting));
        Metrics.AddCounter("receive-errors", "Queue receive calls that failed.", () => SumLoops(l => l.ReceiveErrors));
        Metrics.AddCounter("verdict-errors", "Verdict sends that failed for good (after the retries).", () => SumLoops(l => l.VerdictErrors));
        Metrics.AddCounter("verdict-retries", "Verdict sends retried after ENOBUFS or EAGAIN.", () => SumLoops(l => l.VerdictRetries));
        Metrics.AddCounter("verdicts-lost", "Packets whose verdict could not be sent (the kernel decides for them when the queue is unbound).", () => SumLoops(l => l.VerdictsLost));
        Metrics.AddCounter("handler-errors", "Batches whose handling threw: what was answered stayed dropped, the rest was accepted.", () => SumLoops(l => l.HandlerErrors));
        Metrics.AddCounter("truncated", "Packet messages cut short (the packet was let through).", () => SumLoops(l => l.Truncated));
        Metrics.AddCounter("unparseable", "Netlink messages that did not parse.", () => SumLoops(l => l.Unparseable));
        Metrics.AddCounter("unrecovered", "Packet messages whose id could not be read, so no verdict could be given.", () => SumLoops(l => l.Unrecovered));
        Metrics.AddCounter("startup-accepted", "Packets read and accepted while the queue was being bound.", () => SumLoops(l => l.StartupAccepted));
        Metrics.AddCounter("rules-repaired", "Rules found missing (removed by someone else) and reinstalled by the periodic check.", () => _rules.Reinstalled);
        Metrics.AddCounter("allocated-bytes", "Bytes the process has allocated on the managed heap since it started.", () => GC.GetTotalAllocatedBytes());
    }

    private long SumLoops(Func<NfqueueLoop, long> read)
    {
        long sum = 0;
        foreach (NfqueueLoop loop in _servingLoops)
        {
            sum += read(loop);
        }
        return sum;
    }

    private long SumKernel(Func<QueueKernelStats, long> read)
    {
        long sum = 0;
        foreach (NfqueueLoop loop in _servingLoops)
        {
            if (QueueKernelStats.TryRead(loop.QueueNumber, out QueueKernelStats stats))
            {
                sum += read(stats);
            }
        }
        return sum;
    }

    /// <summary>Removes the rules, then lets the workers drain what is still queued and stop.</summary>
    public void Stop()
    {
        StopRuleCheck();
        if (_rulesInstalled)
        {
            int removed = _rules.Remove();
            _rulesInstalled = false;
            Log.Info($"removed {removed} rule(s) tagged {_rules.Tag}");
            if (_rules.RemoveFailure is { } failure)
            {
                Log.Error($"rules tagged {_rules.Tag} left behind ({failure}); they let traffic through (--queue-bypass), and postern-aaaa --cleanup removes them");
            }
        }
        _stop.Cancel();
        // Until every worker has ended, however long its drain takes: Release frees what they use.
        QueueWorkers.JoinAll(_threads, Log.Warning);
        _threads.Clear();
        Release();
    }

    private void Release()
    {
        if (_rulesInstalled)
        {
            _rules.Remove();
            _rulesInstalled = false;
        }
        foreach (NfqueueBinding binding in _bindings)
        {
            binding.Dispose();
        }
        foreach (RawSocket socket in _sockets)
        {
            socket.Dispose();
        }
        _routeWatch?.Dispose();
        _routeWatch = null;
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
        _stopRuleCheck.Dispose();
    }
}
