using System.CommandLine;
using Postern.Hosting;
using Postern.Reflector;
using Postern.ReflectorCli;

// postern-reflector: wiring only. The command line becomes ReflectorOptions, which the role
// library validates; Postern.Hosting runs the server (signals, readiness, stats, metrics, exit codes).
Log.Configure("postern-reflector");
var command = new ReflectorCommand();
RootCommand root = command.Build();
root.SetAction(parsed =>
{
    ReflectorOptions? options = command.ToOptions(parsed, out string? problem);
    problem ??= ReflectorServer.Validate(options!);
    HostOptions? hostOptions = problem is null ? command.Host.ToOptions(parsed, out problem) : null;
    if (hostOptions is null)
    {
        return HostCommandLine.Usage(problem!);
    }

    ReflectorServer server;
    try
    {
        server = new ReflectorServer(options!);
    }
    catch (IOException e)
    {
        Log.Error(e.Message);
        return ExitCodes.Startup;
    }
    using (server)
    {
        return ServiceHost.Run(server, hostOptions);
    }
});
return HostCommandLine.Invoke(root, args);
