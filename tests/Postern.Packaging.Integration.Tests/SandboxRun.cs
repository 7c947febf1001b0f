using System.Globalization;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>A role's binary run in a network namespace under its unit's sandbox, as far as that
/// can be built without systemd as PID 1 (see sandbox.sh), and traced.</summary>
public sealed class SandboxRun : IDisposable
{
    private const string TraceMarker = "sandbox: trace follows";
    private readonly BackgroundProcess _process;

    private SandboxRun(BackgroundProcess process)
    {
        _process = process;
    }

    public static string Script => Path.Combine(AppContext.BaseDirectory, "sandbox.sh");

    /// <summary>The sandbox.sh arguments the unit's settings call for: the user and the capabilities.</summary>
    public static string[] SandboxArguments(UnitFile unit)
    {
        bool dynamicUser = unit.All("Service", "DynamicUser").LastOrDefault() == "yes";
        string user = unit.All("Service", "User").LastOrDefault() ?? (dynamicUser ? "nobody" : "root");
        SortedSet<string> bounding = unit.ServiceWords("CapabilityBoundingSet");
        string caps = string.Join(',', bounding.Select(c => c.ToLowerInvariant().Replace("cap_", "", StringComparison.Ordinal)));
        return new[] { user, caps };
    }

    private static IEnumerable<string> Command(UnitFile unit, string binary, IEnumerable<string> arguments) =>
        new[] { "--mount", "--propagation", "private", "bash", Script }
            .Concat(SandboxArguments(unit)).Append(binary).Concat(arguments);

    public static SandboxRun Start(Netns netns, UnitFile unit, string binary, params string[] arguments) =>
        new(netns.Start("unshare", Command(unit, binary, arguments)));

    /// <summary>Runs to the end (for --cleanup and the like); returns the output and the trace.</summary>
    public static (int ExitCode, string Output, SyscallTrace Trace) Run(Netns netns, UnitFile unit, string binary, params string[] arguments)
    {
        CommandResult result = netns.Run(TimeSpan.FromSeconds(60), "unshare", Command(unit, binary, arguments).ToArray());
        return Split(result.Output + result.Error);
    }

    public string Output => _process.Output;

    public bool WaitForOutput(string text, TimeSpan timeout) => _process.WaitForOutput(text, timeout);

    /// <summary>The PID of the binary itself: the child of strace.</summary>
    public int BinaryPid()
    {
        string? line = Output.Split('\n').FirstOrDefault(l => l.StartsWith("sandbox: tracer ", StringComparison.Ordinal));
        Assert.True(line is not null, "sandbox did not start its tracer:\n" + Output);
        string children = Shell.Check("pgrep", "-P", line!["sandbox: tracer ".Length..].Trim()).Trim();
        Assert.True(children.Length > 0 && !children.Contains('\n'), "expected one traced process, found: " + children);
        return int.Parse(children, CultureInfo.InvariantCulture);
    }

    public void Signal(string signal) => Shell.Check("kill", "-" + signal, BinaryPid().ToString(CultureInfo.InvariantCulture));

    public (int ExitCode, string Output, SyscallTrace Trace) WaitForEnd(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), "the sandboxed process did not end:\n" + Output);
        return Split(Output);
    }

    private static (int, string, SyscallTrace) Split(string output)
    {
        int marker = output.IndexOf(TraceMarker, StringComparison.Ordinal);
        Assert.True(marker >= 0, "the sandbox ended early:\n" + output);
        string head = output[..marker];
        string? exit = head.Split('\n').LastOrDefault(l => l.StartsWith("sandbox: exit ", StringComparison.Ordinal));
        Assert.NotNull(exit);
        return (int.Parse(exit!["sandbox: exit ".Length..].Trim(), CultureInfo.InvariantCulture), head, new SyscallTrace(output[(marker + TraceMarker.Length)..]));
    }

    /// <summary>Holds a trace to the unit: every system call in its SystemCallFilter=, every socket
    /// family in RestrictAddressFamilies=, and with MemoryDenyWriteExecute=yes no W+X memory.</summary>
    public static void AssertWithinUnit(UnitFile unit, SyscallTrace trace)
    {
        Assert.True(trace.Calls.Count > 20, "the trace is too short to be real:\n" + trace.Log);
        SortedSet<string> allowed = SyscallFilter.Allowed(unit.All("Service", "SystemCallFilter"));
        var refused = trace.Calls.Where(c => !allowed.Contains(c)).ToList();
        Assert.True(refused.Count == 0, $"{unit.Path}: SystemCallFilter= would refuse: {string.Join(' ', refused)}");

        SortedSet<string> families = unit.ServiceWords("RestrictAddressFamilies");
        var foreign = trace.Families.Where(f => !families.Contains(f)).ToList();
        Assert.True(foreign.Count == 0, $"{unit.Path}: RestrictAddressFamilies= would refuse: {string.Join(' ', foreign)}");

        Assert.Equal("yes", unit.Service("MemoryDenyWriteExecute"));
        Assert.True(trace.WritableExecutableMappings.Count == 0,
            "MemoryDenyWriteExecute=yes would refuse:\n" + string.Join('\n', trace.WritableExecutableMappings));
    }

    public void Dispose() => _process.Dispose();
}
