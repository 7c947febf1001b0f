using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The units as written, run by the real systemd (as PID 1 of a container of namespaces,
/// because PID 1 on the test machine need not be systemd): every sandbox setting in force,
/// seccomp included, Type=notify readiness, Restart=on-failure after a kill, ExecStopPost's
/// cleanup, and a clean stop. Only the options and the log file come from a test drop-in.</summary>
[Collection(PackagingCollection.Name)]
public sealed class RealSystemdTests
{
    private const string AaaaOptions = "--chain output --stats-interval 0";

    [RootFact]
    public void Aaaa_unit_starts_answers_restarts_after_a_kill_and_cleans_up_under_systemd()
    {
        using var container = new SystemdContainer(new[] { "postern-aaaa" }, new Dictionary<string, string> { ["postern-aaaa"] = AaaaOptions });
        const string unit = "postern-aaaa.service";
        string Rules() => container.Check("iptables", "-S") + container.Check("iptables", "-t", "raw", "-S")
            + container.Check("ip6tables", "-S") + container.Check("ip6tables", "-t", "raw", "-S");

        // Type=notify: start returns once the daemon said READY=1, with its rules in.
        CommandResult start = container.Run("systemctl", "start", unit);
        Assert.True(start.Succeeded, start + "\n" + container.Log("postern-aaaa") + container.Run("systemctl", "status", "--no-pager", unit));
        Assert.Equal("active", container.Property(unit, "ActiveState"));
        Assert.Contains("postern-aaaa:q53", Rules(), StringComparison.Ordinal);
        CommandResult dig = container.Run("dig", "+tries=1", "+time=3", "@127.0.0.1", "example.com", "AAAA");
        Assert.Contains("status: NOERROR", dig.Output, StringComparison.Ordinal);
        Assert.Contains("ANSWER: 0,", dig.Output, StringComparison.Ordinal);

        // The sandbox is really in force on the running daemon.
        string mainPid = container.Property(unit, "MainPID");
        string status = container.Check("cat", $"/proc/{mainPid}/status");
        Assert.Contains("CapEff:\t0000000000003000", status, StringComparison.Ordinal);
        Assert.Contains("CapBnd:\t0000000000003000", status, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", status, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", status, StringComparison.Ordinal);

        // Killed: ExecStopPost removes its rules, Restart=on-failure brings it back, rules again.
        string restartsBefore = container.Property(unit, "NRestarts");
        container.Check("kill", "-KILL", mainPid);
        string newPid = mainPid;
        for (int i = 0; i < 100 && (newPid == mainPid || newPid == "0" || container.Property(unit, "ActiveState") != "active"); i++)
        {
            Thread.Sleep(100);
            newPid = container.Property(unit, "MainPID");
        }
        Assert.NotEqual(mainPid, newPid);
        Assert.Equal("active", container.Property(unit, "ActiveState"));
        Assert.Equal(int.Parse(restartsBefore, System.Globalization.CultureInfo.InvariantCulture) + 1,
            int.Parse(container.Property(unit, "NRestarts"), System.Globalization.CultureInfo.InvariantCulture));
        string log = container.Log("postern-aaaa");
        Assert.Contains("removed 4 rule(s) tagged postern-aaaa:q53", log, StringComparison.Ordinal);
        Assert.Contains("postern-aaaa:q53", Rules(), StringComparison.Ordinal);

        // Stalled (SIGSTOP): it stops pinging the watchdog (WatchdogSec=), systemd aborts it, the
        // rules go with ExecStopPost, and Restart= brings it back.
        string stalledPid = newPid;
        string restartsBeforeStall = container.Property(unit, "NRestarts");
        container.Check("kill", "-STOP", stalledPid);
        string revivedPid = stalledPid;
        for (int i = 0; i < 450 && (revivedPid == stalledPid || revivedPid == "0" || container.Property(unit, "ActiveState") != "active"); i++)
        {
            Thread.Sleep(100);
            revivedPid = container.Property(unit, "MainPID");
        }
        Assert.True(revivedPid != stalledPid, "still the stalled process after 45 s:\n" + container.Run("systemctl", "status", "--no-pager", unit));
        Assert.Equal("active", container.Property(unit, "ActiveState"));
        Assert.Equal(int.Parse(restartsBeforeStall, System.Globalization.CultureInfo.InvariantCulture) + 1,
            int.Parse(container.Property(unit, "NRestarts"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("postern-aaaa:q53", Rules(), StringComparison.Ordinal);
        dig = container.Run("dig", "+tries=1", "+time=3", "@127.0.0.1", "example.com", "AAAA");
        Assert.Contains("ANSWER: 0,", dig.Output, StringComparison.Ordinal);

        // Stopped: a clean exit, and no rule left.
        container.Check("systemctl", "stop", unit);
        Assert.Equal("inactive", container.Property(unit, "ActiveState"));
        Assert.Equal("success", container.Property(unit, "Result"));
        Assert.DoesNotContain("postern-aaaa", Rules(), StringComparison.Ordinal);
        Assert.Contains("postern-aaaa: stopped", container.Log("postern-aaaa"), StringComparison.Ordinal);
    }

    /// <summary>postern-reflector's unit must start it (DynamicUser, no capabilities) and it must
    /// answer on port 2727. Without the binary: skipped with the reason, or failed in CI.</summary>
    [BuiltBinaryFact("postern-reflector")]
    public void Reflector_unit_starts_and_answers_under_systemd_when_built()
    {
        Repository.Binary("postern-reflector");
        using var container = new SystemdContainer(new[] { "postern-reflector" }, new Dictionary<string, string> { ["postern-reflector"] = "" });
        const string unit = "postern-reflector.service";
        CommandResult start = container.Run("systemctl", "start", unit);
        Assert.True(start.Succeeded, start + "\n" + container.Log("postern-reflector"));
        string status = container.Check("cat", $"/proc/{container.Property(unit, "MainPID")}/status");
        Assert.Contains("CapEff:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.DoesNotContain("Uid:\t0\t", status, StringComparison.Ordinal);
        CommandResult reply = container.Run("sh", "-c", "echo hello | socat -T 3 - UDP:127.0.0.1:2727");
        Assert.Contains("Your address is ('127.0.0.1', ", reply.Output, StringComparison.Ordinal);
        container.Check("systemctl", "stop", unit);
        Assert.Equal("success", container.Property(unit, "Result"));
    }
}
