using Postern.Hosting;
using Postern.Map;
using Postern.MapCli;

// postern-map: wiring only. The command line becomes MapOptions, which the role library
// validates; Postern.Hosting runs the service.
Log.Configure("postern-map");
var command = new MapCommand();
System.CommandLine.RootCommand root = command.Build();
root.SetAction(parsed =>
{
    MapOptions? options = command.ToOptions(parsed, out string? problem);
    problem ??= options?.Validate();
    HostOptions? hostOptions = problem is null ? command.Host.ToOptions(parsed, out problem) : null;
    if (options is null || hostOptions is null)
    {
        return HostCommandLine.Usage(problem!);
    }
    using var service = new MapService(options);
    return ServiceHost.Run(service, hostOptions);
});
return HostCommandLine.Invoke(root, args);
