using System.Diagnostics;

namespace Postern.Netfilter.Tests;

/// <summary>tests/run-tests.sh against a stand-in dotnet that writes chosen TRX files: a test that
/// errored and a project that produced no results are failures in the summary line, not only in
/// the exit status, and the project without results is named.</summary>
public sealed class RunTestsScriptTests : IDisposable
{
    private const string FakeDotnet = """
        #!/usr/bin/env bash
        # dotnet test PROJECT ... --logger trx;LogFileName=NAME.trx ... --results-directory DIR
        project=$2
        name=$(basename "$project" .csproj)
        dir=""
        while [ $# -gt 0 ]; do
            [ "$1" = "--results-directory" ] && dir=$2
            shift
        done
        case "$name" in
            Good.Tests) counters='total="4" executed="3" passed="3" failed="0" error="0" timeout="0" aborted="0" notExecuted="1"'; code=0 ;;
            Errored.Tests) counters='total="2" executed="2" passed="1" failed="0" error="1" timeout="0" aborted="0" notExecuted="0"'; code=1 ;;
            Hung.Tests) counters='total="2" executed="2" passed="1" failed="0" error="0" timeout="1" aborted="0" notExecuted="0"'; code=1 ;;
            Crashed.Tests) counters='total="5" executed="1" passed="1" failed="0" error="0" timeout="0" aborted="0" notExecuted="0"'; code=1 ;;
            NoBuild.Tests) exit 1 ;;
        esac
        printf '<TestRun><ResultSummary><Counters %s /></ResultSummary></TestRun>\n' "$counters" > "$dir/$name.trx"
        exit $code
        """;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("postern-run-tests-");

    public RunTestsScriptTests()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "tests"));
        File.Copy(Path.Combine(RepositoryRoot(), "tests", "run-tests.sh"), Path.Combine(_root.FullName, "tests", "run-tests.sh"));
        foreach (string name in new[] { "Good.Tests", "Errored.Tests", "Hung.Tests", "Crashed.Tests", "NoBuild.Tests" })
        {
            Directory.CreateDirectory(Path.Combine(_root.FullName, "tests", name));
            File.WriteAllText(Path.Combine(_root.FullName, "tests", name, name + ".csproj"), "<Project />");
        }
        string bin = Path.Combine(_root.FullName, "fakebin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "dotnet"), FakeDotnet.Replace("\r\n", "\n") + "\n");
        File.SetUnixFileMode(Path.Combine(bin, "dotnet"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public async Task Errors_timeouts_crashes_and_missing_results_count_as_failed()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(_root.FullName, "tests", "run-tests.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = Path.Combine(_root.FullName, "fakebin") + ":" + Environment.GetEnvironmentVariable("PATH");
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "run-tests.sh did not finish");
        string all = output + await error;

        string last = output.TrimEnd().Split('\n')[^1];
        // Passed: 3 + 1 + 1 + 1. Failed: the error, the timeout, the crash the TRX does not blame on
        // a test, and the project without results.
        Assert.Equal("6 passed, 4 failed, 1 skipped", last);
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("NoBuild.Tests: no test results", all, StringComparison.Ordinal);
        Assert.Contains("Crashed.Tests", all, StringComparison.Ordinal);
    }

    public void Dispose() => _root.Delete(recursive: true);

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Appliance.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Appliance.sln not found above " + AppContext.BaseDirectory);
    }
}
