using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Postern.Hosting;

/// <summary>The signal policy of every role: SIGTERM, SIGINT, SIGHUP and SIGQUIT stop cleanly;
/// SIGUSR1 asks for the counters. A role that rereads its configuration (<see cref="IReloadable"/>)
/// takes SIGHUP as "reload" instead. Registered before the role starts, so a stop signal that
/// comes during start-up is honoured as soon as start-up is done.</summary>
public sealed class ServiceSignals : IDisposable
{
    /// <summary>PosixSignal has no name for SIGUSR1: a raw signal number (this architecture's, from
    /// the C library's headers via Tmds.LibC) is accepted.</summary>
    public static readonly PosixSignal SIGUSR1 = (PosixSignal)LibC.SIGUSR1;

    public static readonly IReadOnlyList<PosixSignal> StopSignals =
        new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT };

    private readonly ManualResetEvent _stop = new(false);
    private readonly AutoResetEvent _report = new(false);
    private readonly AutoResetEvent _reload = new(false);
    private readonly List<PosixSignalRegistration> _registrations = new();
    private volatile string? _stopSignal;

    public ServiceSignals(bool reloadOnHangup = false)
    {
        foreach (PosixSignal signal in StopSignals)
        {
            if (reloadOnHangup && signal == PosixSignal.SIGHUP)
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true;
                    _reload.Set();
                }));
                continue;
            }
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                _stopSignal ??= Name(context.Signal);
                _stop.Set();
            }));
        }
        _registrations.Add(PosixSignalRegistration.Create(SIGUSR1, context =>
        {
            context.Cancel = true;
            _report.Set();
        }));
    }

    /// <summary>Set once a stop signal came.</summary>
    public WaitHandle StopRequested => _stop;

    /// <summary>Set each time SIGUSR1 comes (and reset by the wait that sees it).</summary>
    public WaitHandle ReportRequested => _report;

    /// <summary>Set each time SIGHUP comes to a reloading role (and reset by the wait that sees it).</summary>
    public WaitHandle ReloadRequested => _reload;

    /// <summary>The first stop signal's name, or null.</summary>
    public string? StopSignal => _stopSignal;

    /// <summary>Stops as a signal would (for a role that decides to end by itself).</summary>
    public void RequestStop(string reason)
    {
        _stopSignal ??= reason;
        _stop.Set();
    }

    public static string Name(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGTERM => "SIGTERM",
        PosixSignal.SIGINT => "SIGINT",
        PosixSignal.SIGHUP => "SIGHUP",
        PosixSignal.SIGQUIT => "SIGQUIT",
        _ when signal == SIGUSR1 => "SIGUSR1",
        _ => "signal " + ((int)signal).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
        _registrations.Clear();
        _stop.Dispose();
        _report.Dispose();
        _reload.Dispose();
    }
}
