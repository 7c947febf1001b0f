using Postern.Hosting;
using Postern.Interop;

namespace Postern.Aaaa;

/// <summary>Keeps <see cref="HasDefaultRoute"/> current for --auto: re-reads the routing table
/// when the kernel says IPv6 routes, addresses or links changed, and every half minute in case a
/// notification was missed.</summary>
public sealed class Ipv6RouteWatch : IIpv6RouteState, IDisposable
{
    private const int RecheckMs = 30_000;
    private readonly Thread _thread;
    private readonly FdHandle _socket;
    private volatile bool _hasDefaultRoute;
    private volatile bool _stopping;

    public Ipv6RouteWatch(Action<bool>? changed = null)
    {
        int error = Sockets.OpenRouteMonitor(RouteGroups.RTMGRP_IPV6_ROUTE | RouteGroups.RTMGRP_IPV6_IFADDR | RouteGroups.RTMGRP_LINK, out _socket);
        if (error != 0)
        {
            throw new StartupException($"--auto: cannot watch IPv6 routes: {Errno.Describe(error)} ({Errno.Name(error)})");
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
            int error = Sockets.WaitReadable(_socket, 500, out bool readable);
            bool changed = false;
            if (error == 0 && readable)
            {
                error = Sockets.Drain(_socket, out changed);
            }
            waited += 500;
            if (error != 0 && !_stopping)
            {
                Thread.Sleep(500);
            }
            if (changed || waited >= RecheckMs)
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
        _thread.Join();
        _socket.Dispose();
    }
}
