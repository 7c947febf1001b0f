using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Reflector.Integration.Tests;

/// <summary>The real postern-reflector binary (build/bin), started in a namespace or on this
/// host's loopback, waited for until it says it listens.</summary>
internal static class Reflector
{
    public static string Binary => Repository.Binary("postern-reflector");

    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    public static BackgroundProcess StartIn(Netns host, params string[] arguments)
    {
        BackgroundProcess process = host.Start(Binary, arguments);
        WaitUntilListening(process);
        return process;
    }

    public static BackgroundProcess StartOnLoopback(IDictionary<string, string>? environment, params string[] arguments)
    {
        var process = new BackgroundProcess(Binary, arguments, environment);
        try
        {
            WaitUntilListening(process);
        }
        catch
        {
            process.Dispose();
            throw;
        }
        return process;
    }

    private static void WaitUntilListening(BackgroundProcess process)
    {
        Assert.True(process.WaitForOutput("listening on", StartTimeout), "postern-reflector did not start:\n" + process.Output);
    }

    /// <summary>The port bound for a listen address given with port 0, from the start-up line.</summary>
    public static int BoundPort(BackgroundProcess process, string transportAndHost)
    {
        Match match = Regex.Match(process.Output, Regex.Escape(transportAndHost) + @":(\d+)");
        Assert.True(match.Success, $"no {transportAndHost} in: {process.Output}");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
