using System.Diagnostics;

namespace Postern.Wire.Tests;

/// <summary>Finds and runs the real dig (bind9-dnsutils).</summary>
public static class Dig
{
    public const string NotInstalledReason = "dig is not installed (apt-get install bind9-dnsutils)";

    /// <summary>The dig on PATH, or null.</summary>
    public static readonly string? Path = Find();

    private static string? Find()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (path is null)
        {
            return null;
        }
        foreach (string directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(directory, "dig");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Starts dig against 127.0.0.1:<paramref name="port"/>, one try, with the given query
    /// arguments; standard output and error are redirected.</summary>
    public static Process Start(int port, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(Path ?? throw new InvalidOperationException(NotInstalledReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("@127.0.0.1");
        startInfo.ArgumentList.Add("-p");
        startInfo.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        startInfo.ArgumentList.Add("+tries=1");
        startInfo.ArgumentList.Add("+time=5");
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return Process.Start(startInfo) ?? throw new InvalidOperationException("dig did not start.");
    }
}
