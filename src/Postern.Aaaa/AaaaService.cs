using Postern.Netfilter;

namespace Postern.Aaaa;

/// <summary>postern-aaaa at run time: raw sockets, bound queues, owned rules, one worker thread
/// per queue, and the counters. Start binds the queues before touching any rule (so a queue held
/// by another process fails cleanly), removes stale rules of its tag, then installs its own;
/// Stop removes the rules first, then drains the queues so no packet is left without a verdict.</summary>
public sealed class AaaaService : IDisposable
{
    private readonly AaaaServiceOptions _options;
    private readonly Action<string> _log;
    private readonly RuleSet _rules;
    private readonly List<RawSocket> _sockets = new();
    private readonly List<NfqueueBinding> _bindings = new();
    private readonly List<NfqueueLoop> _loops = new();
    private readonly List<AaaaResponder> _responders = new();
    private readonly List<Thread> _threads = new();
    private readonly CancellationTokenSource _stop = new();
    private Ipv6RouteWatch? _routeWatch;
    private bool _rulesInstalled;

    public AaaaService(AaaaServiceOptions options, Action<string> log)
    {
        _options = options;
        _log = log;
        var iptables = new Iptables(options.IptablesProgram);
        _rules = new RuleSet(iptables, AaaaRules.Tag(options.Rules.FirstQueue), AaaaRules.Build(options.Rules), AaaaRules.AllPlaces);
    }

    public RuleSet Rules => _rules;

    public IReadOnlyList<NfqueueLoop> Loops => _loops;

    public void Start()
    {
        try
        {
            bool ipv4 = _options.Rules.Families.Contains(IpFamily.Ipv4);
            bool ipv6 = _options.Rules.Families.Contains(IpFamily.Ipv6);
            if (_options.Auto)
            {
                _routeWatch = new Ipv6RouteWatch(has => _log(has
                    ? "IPv6 default route present: AAAA queries now pass to the server (--auto)"
                    : "IPv6 default route gone: answering AAAA queries again (--auto)"));
                _log(_routeWatch.HasDefaultRoute
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
                _responders.Add(responder);
                _loops.Add(new NfqueueLoop(binding, responder, _options.Queue));
            }

            int stale = _rules.RemoveStale();
            if (stale > 0)
            {
                _log($"removed {stale} stale rule(s) tagged {_rules.Tag} (left by an instance that did not stop cleanly)");
            }
            _rulesInstalled = true;
            _rules.Install();
        }
        catch (Exception e) when (e is NfqueueException or RuleSetException or InvalidOperationException)
        {
            Release();
            throw new StartupException(e.Message);
        }

        foreach (NfqueueLoop loop in _loops)
        {
            var thread = new Thread(() => loop.Run(_stop.Token)) { Name = "queue-" + loop.QueueNumber, IsBackground = true };
            _threads.Add(thread);
            thread.Start();
        }
        _log($"hooked {string.Join(',', _options.Rules.Chains.Select(AaaaRules.ChainName))} " +
             $"({string.Join('+', _options.Rules.Families.Select(f => f == IpFamily.Ipv4 ? "IPv4" : "IPv6"))}), " +
             $"queue{(_loops.Count > 1 ? "s" : "")} {DescribeQueues()}, answering {string.Join(',', _options.Policy.QueryTypes.Select(Wire.DnsType.Name))}" +
             $" with NODATA{(_options.Policy.IncludeSoa ? $" + SOA (negative TTL {_options.Policy.NegativeTtl}s)" : "")}; {_rules.Rules.Count} rules tagged {_rules.Tag}");
    }

    private RawSocket Track(RawSocket socket)
    {
        _sockets.Add(socket);
        return socket;
    }

    private string DescribeQueues() => _loops.Count > 1
        ? $"{_options.Rules.FirstQueue}-{_options.Rules.FirstQueue + _loops.Count - 1}"
        : _options.Rules.FirstQueue.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public AaaaCounterSnapshot Counters() => AaaaCounters.Sum(_responders.Select(r => r.Counters));

    /// <summary>The one-line summary logged every interval and on SIGUSR1.</summary>
    public string Summary()
    {
        long waiting = 0, queueDropped = 0, userDropped = 0;
        foreach (NfqueueLoop loop in _loops)
        {
            if (QueueKernelStats.TryRead(loop.QueueNumber, out QueueKernelStats stats))
            {
                waiting += stats.Waiting;
                queueDropped += stats.QueueDropped;
                userDropped += stats.UserDropped;
            }
        }
        long received = _loops.Sum(l => l.Received);
        long batches = _loops.Sum(l => l.Batches);
        int overruns = _loops.Sum(l => l.Overruns);
        long verdictErrors = _loops.Sum(l => l.VerdictErrors);
        long receiveErrors = _loops.Sum(l => l.ReceiveErrors);
        return $"stats: {Counters().Describe()} queued={received} batches={batches} " +
               $"queue-dropped={queueDropped} user-dropped={userDropped} overruns={overruns} waiting={waiting} " +
               $"receive-errors={receiveErrors} verdict-errors={verdictErrors} allocated-bytes={GC.GetTotalAllocatedBytes()}";
    }

    /// <summary>Removes the rules, then lets the workers drain what is still queued and stop.</summary>
    public void Stop()
    {
        if (_rulesInstalled)
        {
            int removed = _rules.Remove();
            _rulesInstalled = false;
            _log($"removed {removed} rule(s) tagged {_rules.Tag}");
        }
        _stop.Cancel();
        // Until every worker has ended, however long its drain takes: Release frees what they use.
        QueueWorkers.JoinAll(_threads, _log);
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
    }
}
