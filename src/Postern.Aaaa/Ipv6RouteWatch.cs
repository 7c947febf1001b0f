using Postern.Interop;

namespace Postern.Aaaa;

/// <summary>Keeps <see cref="HasDefaultRoute"/> current for --auto: re-reads the routing table
/// when the kernel says IPv6 routes, addresses or links changed, and every half minute in case a
/// notification was missed.</summary>
public sealed class Ipv6RouteWatch : IIpv6RouteState, IDisposable
{
    private const int RecheckMs = 30_000;
    private readonly Thread _thread;
    private readonly int _fd;
    private volatile bool _hasDefaultRoute;
    private volatile bool _stopping;

    public Ipv6RouteWatch(Action<bool>? changed = null)
    {
        int error = Interop.Interop.RouteMonitorOpen(out _fd);
        if (error != 0)
        {
            throw new InvalidOperationException($"cannot watch IPv6 routes: {Errno.Describe(error)} ({Errno.Name(error)})");
        }
        _hasDefaultRoute = Ipv6Routes.HasDefaultRoute();
        Changed = changed;
        _thread = new Thread(Watch) { IsBackground = true, Name = "ipv6-route-watch" };
        _thread.Start();
    }

    public bool HasDefaultRoute => _hasDefaultRoute;

    private Action<bool>? Changed { get; }

    private void Watch()
    {
        int waited = 0;
        while (!_stopping)
        {
            int error = Interop.Interop.RouteMonitorWait(_fd, 500, out int changed);
            waited += 500;
            if (error != 0 && !_stopping)
            {
                Thread.Sleep(500);
            }
            if (changed != 0 || waited >= RecheckMs)
            {
                waited = 0;
                bool now = Ipv6Routes.HasDefaultRoute();
                if (now != _hasDefaultRoute)
                {
                    _hasDefaultRoute = now;
                    Changed?.Invoke(now);
                }
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(2000);
        Interop.Interop.Close(_fd);
    }
}
