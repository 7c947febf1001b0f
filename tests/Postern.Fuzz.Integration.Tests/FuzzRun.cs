using System.Globalization;
using Postern.Testing;

namespace Postern.Fuzz.Integration.Tests;

/// <summary>One run of bench/fuzz.sh (what `make fuzz` runs with a million packets): it builds
/// its own namespaces, compiles bench/fuzzsend.c, runs the real daemon, prints one "ok: ..." or
/// "FAIL: ..." line per check and removes everything on exit, also when it is sent SIGTERM.</summary>
internal sealed class FuzzRun
{
    private FuzzRun(int exitCode, string output)
    {
        ExitCode = exitCode;
        Output = output;
    }

    public int ExitCode { get; }

    public string Output { get; }

    public IReadOnlyList<string> Failures =>
        Output.Split('\n').Where(line => line.StartsWith("FAIL: ", StringComparison.Ordinal)).ToList();

    public IReadOnlyList<string> Passed =>
        Output.Split('\n').Where(line => line.StartsWith("ok: ", StringComparison.Ordinal)).ToList();

    /// <summary>Runs the script for one daemon ("aaaa", "reflector" or "socks") with COUNT packets. A run
    /// that overstays <paramref name="timeout"/> is asked to stop (SIGTERM: the script then
    /// cleans up) and reported with exit code -1.</summary>
    public static FuzzRun Start(string daemon, int count, TimeSpan timeout)
    {
        string script = Path.Combine(Repository.Root, "bench", "fuzz.sh");
        // The binaries the script runs must exist; this fails with the command that builds them.
        Repository.Binary("postern-" + daemon);
        using var process = new BackgroundProcess("bash", new[] { script, count.ToString(CultureInfo.InvariantCulture), daemon },
            new Dictionary<string, string> { ["FUZZ_WRITE"] = "0" });
        bool exited = process.WaitForExit(timeout);
        int exitCode = exited ? process.ExitCode : -1;
        string output = process.Output;
        if (!exited)
        {
            output += $"\n(still running after {timeout.TotalSeconds} s: stopped)";
        }
        return new FuzzRun(exitCode, output);
    }

    /// <summary>The check whose line starts with "ok: <paramref name="prefix"/>" passed.</summary>
    public bool Holds(string prefix) => Passed.Any(line => line.StartsWith("ok: " + prefix, StringComparison.Ordinal));

    public override string ToString() => $"bench/fuzz.sh exited {ExitCode}\n{Output}";
}
