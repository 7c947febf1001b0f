using Postern.Hosting;
using Postern.Socks;
using Postern.SocksCli;

// postern-socks: wiring only. The command line becomes SocksOptions, which the role library
// validates (the users file included); Postern.Hosting runs the server.
Log.Configure("postern-socks");
var command = new SocksCommand();
System.CommandLine.RootCommand root = command.Build();
root.SetAction(parsed =>
{
    SocksOptions options = command.ToOptions(parsed);
    string? problem = SocksServer.Validate(options, out _);
    HostOptions? hostOptions = problem is null ? command.Host.ToOptions(parsed, out problem) : null;
    if (hostOptions is null)
    {
        return HostCommandLine.Usage(problem!);
    }

    SocksServer server;
    try
    {
        server = new SocksServer(options);
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
