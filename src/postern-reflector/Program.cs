using System.CommandLine;
using System.Runtime.InteropServices;
using Postern.Interop;
using Postern.Reflector;
using Postern.ReflectorCli;

// postern-reflector: wiring only. The command line becomes ReflectorOptions, the server runs until
// SIGTERM or SIGINT, and the counters are logged every --stats-interval, on SIGUSR1 and at exit.
var command = new ReflectorCommand();
RootCommand root = command.Build();
root.SetAction(parsed => Run(command.ToOptions(parsed)));

ParseResult result = root.Parse(args);
if (result.Errors.Count > 0)
{
    // One sentence, not a page of help.
    Console.Error.WriteLine("postern-reflector: " + result.Errors[0].Message + " (see --help)");
    return 2;
}
return result.Invoke();

static int Run(ReflectorOptions options)
{
    string? problem = ReflectorServer.Validate(options);
    if (problem is not null)
    {
        Console.Error.WriteLine("postern-reflector: " + problem);
        return 2;
    }

    ReflectorServer server;
    try
    {
        server = new ReflectorServer(options);
    }
    catch (IOException e)
    {
        Console.Error.WriteLine("postern-reflector: " + e.Message);
        return 1;
    }

    using var stop = new ManualResetEventSlim();
    using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    // SIGUSR1 has no PosixSignal name; raw numbers are accepted (10 on Linux).
    using PosixSignalRegistration usr1 = PosixSignalRegistration.Create((PosixSignal)10, context =>
    {
        context.Cancel = true;
        JournalLog.Info(server.Counters.Describe());
    });

    using (server)
    {
        server.Start();
        RateLimitOptions rate = options.RateLimit;
        JournalLog.Info($"postern-reflector {typeof(ReflectorServer).Assembly.GetName().Version?.ToString(3)} listening on " +
            string.Join(", ", server.Bound) + "; " +
            (rate.Enabled
                ? $"rate limit {rate.PerSourceRate}/s burst {rate.PerSourceBurst} per /{rate.Ipv4PrefixLength} and /{rate.Ipv6PrefixLength}, global {(rate.GlobalRate == 0 ? "unlimited" : rate.GlobalRate + "/s")}"
                : "no rate limit") +
            (options.StrictSize ? "; strict size" : ""));
        SdNotify.Ready();

        TimeSpan interval = options.StatsInterval == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : options.StatsInterval;
        while (!stop.Wait(interval))
        {
            JournalLog.Info(server.Counters.Describe());
        }
        SdNotify.Stopping();
        JournalLog.Info("stopping; " + server.Counters.Describe());
    }
    return 0;

    void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        stop.Set();
    }
}
