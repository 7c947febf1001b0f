namespace Postern.Hosting;

/// <summary>Runs a role the same way for every binary: signals first, the metrics listener (so a
/// taken port fails before any rule is touched), the role, READY=1, then the stats line every
/// interval and on SIGUSR1 until a stop signal, and STOPPING=1, the role's Stop, the last stats
/// line, exit 0.</summary>
public static class ServiceHost
{
    public static int Run(IRole role, HostOptions options)
    {
        using var signals = new ServiceSignals(reloadOnHangup: role is IReloadable);
        MetricsServer? metrics = null;
        try
        {
            if (options.MetricsListen is { } endpoint)
            {
                metrics = MetricsServer.Start(endpoint, role.Metrics);
            }
            role.Start();
        }
        catch (StartupException e)
        {
            metrics?.Dispose();
            Log.Error(e.Message);
            return ExitCodes.Startup;
        }

        try
        {
            string status = role.Status;
            SdNotify.Ready(status);
            Log.Info("ready: " + status);
            if (metrics is not null)
            {
                Log.Info($"metrics: http://{HostEndpoint.Format(metrics.Endpoint)}/metrics");
            }
            WaitForStop(role, signals, options.StatsInterval);
        }
        finally
        {
            string reason = signals.StopSignal ?? "an error";
            SdNotify.Stopping("stopping on " + reason);
            Log.Info("stopping on " + reason);
            role.Stop();
            metrics?.Dispose();
            Log.Info(role.Metrics.StatsLine());
            LogReport(role);
        }
        Log.Info("stopped");
        return ExitCodes.Ok;
    }

    private static void LogReport(IRole role)
    {
        if (role is IDetailedReport report)
        {
            foreach (string line in report.ReportLines())
            {
                Log.Info(line);
            }
        }
    }

    /// <summary>Waits for a stop signal; logs the stats line every interval and on SIGUSR1, and
    /// pings systemd's watchdog (when the unit has WatchdogSec=) every half period, so that a
    /// process that stalls (SIGSTOP, a hang) is killed by systemd and the rules fail open.</summary>
    private static void WaitForStop(IRole role, ServiceSignals signals, TimeSpan interval)
    {
        var handles = new[] { signals.StopRequested, signals.ReportRequested, signals.ReloadRequested };
        TimeSpan? watchdog = SdNotify.WatchdogInterval();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan nextStats = interval;
        TimeSpan nextPing = TimeSpan.Zero;
        while (true)
        {
            TimeSpan now = clock.Elapsed;
            if (watchdog is { } period && now >= nextPing)
            {
                SdNotify.Watchdog();
                nextPing = now + period;
            }
            TimeSpan timeout = Timeout.InfiniteTimeSpan;
            if (interval > TimeSpan.Zero)
            {
                timeout = nextStats > now ? nextStats - now : TimeSpan.Zero;
            }
            if (watchdog is not null)
            {
                TimeSpan untilPing = nextPing > now ? nextPing - now : TimeSpan.Zero;
                timeout = timeout == Timeout.InfiniteTimeSpan || untilPing < timeout ? untilPing : timeout;
            }
            int which = WaitHandle.WaitAny(handles, timeout);
            if (which == 0)
            {
                return;
            }
            if (which == 2 && role is IReloadable reloadable)
            {
                reloadable.Reload();
                continue;
            }
            bool statsDue = interval > TimeSpan.Zero && clock.Elapsed >= nextStats;
            if (which == 1 || statsDue)
            {
                Log.Info(role.Metrics.StatsLine());
                LogReport(role);
                SdNotify.Status(role.Status);
                if (statsDue)
                {
                    nextStats = clock.Elapsed + interval;
                }
            }
        }
    }
}
