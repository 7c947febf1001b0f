using System.CommandLine;
using System.Net;

namespace Postern.Hosting.Tests;

public class HostCommandLineTests
{
    private static (HostOptions? Options, string? Problem, int ParseErrors) Parse(params string[] args)
    {
        var host = new HostCommandLine();
        var root = new RootCommand("test");
        host.AddTo(root);
        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            return (null, result.Errors[0].Message, result.Errors.Count);
        }
        HostOptions? options = host.ToOptions(result, out string? problem);
        return (options, problem, 0);
    }

    [Fact]
    public void Defaults_StatsEveryMinute_NoMetrics()
    {
        (HostOptions? options, _, _) = Parse();
        Assert.Equal(TimeSpan.FromMinutes(1), options!.StatsInterval);
        Assert.Null(options.MetricsListen);
    }

    [Fact]
    public void MetricsListen_IsParsed()
    {
        (HostOptions? options, _, _) = Parse("--metrics-listen", "[::1]:9253", "--stats-interval", "0");
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 9253), options!.MetricsListen);
        Assert.Equal(TimeSpan.Zero, options.StatsInterval);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("86401")]
    [InlineData("2147483")]
    public void StatsInterval_OutOfRange_IsOneSentenceNamingTheFlag(string seconds)
    {
        (HostOptions? options, string? problem, _) = Parse("--stats-interval", seconds);
        Assert.Null(options);
        Assert.Equal($"--stats-interval: {seconds} is out of range (0 to 86400 seconds)", problem);
    }

    [Fact]
    public void StatsInterval_TooBigForAnInt_IsAParseError()
    {
        (HostOptions? options, string? problem, int errors) = Parse("--stats-interval", "99999999999");
        Assert.Null(options);
        Assert.Equal(1, errors);
        Assert.Contains("--stats-interval", problem);
    }

    [Fact]
    public void MetricsListen_Bad_IsAParseErrorNamingTheFlag()
    {
        (HostOptions? options, string? problem, _) = Parse("--metrics-listen", "nowhere");
        Assert.Null(options);
        Assert.StartsWith("--metrics-listen: 'nowhere' is not HOST:PORT", problem);
    }
}
