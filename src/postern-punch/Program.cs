using System.CommandLine;
using System.Net;
using Postern.Hosting;
using Postern.Punch;
using Postern.PunchCli;

// postern-punch: wiring only. Each subcommand's options are checked (one sentence and exit 2
// on a bad one), then Postern.Punch does the work; a stop signal cancels it cleanly.
Log.Configure("postern-punch");
var command = new PunchCommand();
RootCommand root = command.Build();

command.ConnectCommand.SetAction(parsed =>
{
    if (parsed.GetResult(command.Resolve) is { Implicit: false })
    {
        ResolveOptions? resolve = command.ToResolve(parsed, out string? resolveProblem);
        return resolve is null ? HostCommandLine.Usage(resolveProblem!) : DnsSdConnect.Run(resolve, Console.Out);
    }
    ConnectOptions? options = command.ToConnect(parsed, out string? problem);
    if (options is null)
    {
        return HostCommandLine.Usage(problem!);
    }
    using var stop = new StopOnSignal();
    return new PunchClient(Console.Out).Connect(options, stop.Token);
});

command.KeepCommand.SetAction(parsed =>
{
    KeepOptions? options = command.ToKeep(parsed, out string? problem);
    if (options is null)
    {
        return HostCommandLine.Usage(problem!);
    }
    using var stop = new StopOnSignal();
    return new PunchClient(Console.Out).Keep(options, stop.Token);
});

command.ManualCommand.SetAction(parsed =>
{
    string? problem = command.ManualProblem(parsed);
    if (problem is not null)
    {
        return HostCommandLine.Usage(problem);
    }
    using var stop = new StopOnSignal();
    var settings = new PunchSettings
    {
        Timeout = TimeSpan.FromSeconds(parsed.GetValue(command.ManualTimeout)),
        OpenerTtl = parsed.GetValue(command.ManualOpenerTtl),
    };
    var hold = new HoldSettings
    {
        Keepalive = TimeSpan.FromSeconds(parsed.GetValue(command.ManualKeepalive)),
        ConsentTimeout = TimeSpan.FromSeconds(parsed.GetValue(command.ManualConsent)),
    };
    return new PunchClient(Console.Out).Manual(parsed.GetValue(command.ManualServers)![0], parsed.GetValue(command.ManualPort),
        Console.In, TimeSpan.FromSeconds(parsed.GetValue(command.Quiet)), settings, parsed.GetValue(command.ManualForward), hold, stop.Token);
});

command.NatTypeCommand.SetAction(parsed =>
{
    try
    {
        ServerAddress server = parsed.GetValue(command.NatServers)![0];
        NatReport report = NatTypeProbe.Run(server.Resolve(System.Net.Sockets.AddressFamily.InterNetwork));
        Console.Out.Write(report.Format());
        return ExitCodes.Ok;
    }
    catch (IOException e)
    {
        Log.Error(e.Message);
        return ExitCodes.Startup;
    }
    catch (System.Net.Sockets.SocketException e)
    {
        Log.Error($"socket: {e.Message}");
        return ExitCodes.Startup;
    }
});

command.RegisterCommand.SetAction(parsed =>
{
    RegisterOptions? options = command.ToRegister(parsed, out string? problem);
    if (options is null)
    {
        return HostCommandLine.Usage(problem!);
    }
    using var stop = new StopOnSignal();
    return new WireGuardRegistrar(Console.Out).Run(options, stop.Token);
});

return HostCommandLine.Invoke(root, args);
