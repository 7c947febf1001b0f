using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;

namespace Postern.Hosting;

/// <summary>The command-line behaviour every binary shares: the options of <see cref="HostOptions"/>
/// and one answer to a bad flag (one sentence on stderr naming it, exit 2, no help dump).</summary>
public sealed class HostCommandLine
{
    public Option<int> StatsInterval { get; } = new("--stats-interval")
    {
        Description = $"Seconds between one-line counter summaries (0: only on SIGUSR1 and at exit; at most {HostOptions.MaxStatsIntervalSeconds}).",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 60,
    };

    public Option<IPEndPoint?> MetricsListen { get; } = new("--metrics-listen")
    {
        Description = "Serve every counter in the Prometheus text format at http://HOST:PORT/metrics (off by default). HOST is an IPv4 address, [IPv6] or localhost.",
        HelpName = "HOST:PORT",
        CustomParser = EndpointParser("--metrics-listen"),
    };

    /// <summary>Adds the shared options to a role's root command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(StatsInterval);
        command.Options.Add(MetricsListen);
    }

    /// <summary>The shared options' values, or one sentence on what is wrong with them.</summary>
    public HostOptions? ToOptions(ParseResult result, out string? problem)
    {
        int seconds = result.GetValue(StatsInterval);
        if (seconds < 0 || seconds > HostOptions.MaxStatsIntervalSeconds)
        {
            problem = string.Create(CultureInfo.InvariantCulture,
                $"--stats-interval: {seconds} is out of range (0 to {HostOptions.MaxStatsIntervalSeconds} seconds)");
            return null;
        }
        problem = null;
        return new HostOptions
        {
            StatsInterval = TimeSpan.FromSeconds(seconds),
            MetricsListen = result.GetValue(MetricsListen),
        };
    }

    /// <summary>Parses and runs <paramref name="root"/>; a parse error is one line and exit 2.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            return Usage(result.Errors[0].Message.TrimEnd('.') + " (see --help)");
        }
        return result.Invoke();
    }

    /// <summary>Logs one sentence on a bad option and gives the usage exit code.</summary>
    public static int Usage(string problem)
    {
        Log.Error(problem);
        return ExitCodes.Usage;
    }

    /// <summary>A System.CommandLine parser of HOST:PORT (<see cref="HostEndpoint"/>) whose errors
    /// start with <paramref name="flag"/>, for every role's address options.</summary>
    public static Func<ArgumentResult, IPEndPoint?> EndpointParser(string flag) => result =>
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (!HostEndpoint.TryParse(text, out IPEndPoint? endpoint, out string? problem))
        {
            result.AddError(flag + ": " + problem);
            return null;
        }
        return endpoint;
    };
}
