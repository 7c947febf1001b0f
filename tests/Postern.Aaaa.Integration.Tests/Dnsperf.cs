using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>Runs dnsperf (Debian's) from a test host with a query file of distinct names.</summary>
public static partial class Dnsperf
{
    public sealed record Result(string Output)
    {
        public long Completed => Number(CompletedPattern());
        public long Lost => Number(LostPattern());

        private long Number(Regex pattern)
        {
            Match match = pattern.Match(Output);
            return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
        }
    }

    public static Result Run(Netns from, string server, string type, int names, int seconds, int clients = 4, int outstanding = 50)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, Enumerable.Range(0, names).Select(i => $"host{i}.example.test {type}"));
            CommandResult result = from.Run(TimeSpan.FromSeconds(seconds + 30), "dnsperf", "-s", server, "-d", file,
                "-l", seconds.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
                "-q", outstanding.ToString(CultureInfo.InvariantCulture), "-t", "2");
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(result.ToString());
            }
            return new Result(result.Output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"Queries completed:\s+(\d+)")]
    private static partial Regex CompletedPattern();

    [GeneratedRegex(@"Queries lost:\s+(\d+)")]
    private static partial Regex LostPattern();
}
