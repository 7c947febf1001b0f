using Postern.Hosting;
using Postern.Map;
using Postern.Netfilter;
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
    if (parsed.GetValue(command.DryRun))
    {
        foreach (string line in MapService.DescribeRules(options))
        {
            Console.Out.WriteLine(line);
        }
        return ExitCodes.Ok;
    }
    if (parsed.GetValue(command.Cleanup))
    {
        try
        {
            int removed = MapService.Cleanup(options);
            Log.Info($"removed {removed} rule(s) tagged {ForwardRules.Tag(options.Protocol, options.Bind.Port)}");
            return ExitCodes.Ok;
        }
        catch (RuleSetException e)
        {
            Log.Error(e.Message);
            return ExitCodes.Startup;
        }
    }
    using var service = new MapService(options);
    return ServiceHost.Run(service, hostOptions);
});
return HostCommandLine.Invoke(root, args);
