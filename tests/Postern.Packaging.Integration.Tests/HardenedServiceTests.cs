using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The binaries do their work under their units' sandbox (see sandbox.sh): read-only
/// system, only the unit's capabilities, no new privileges, the unit's environment, traced so that
/// the system call filter, the address families and MemoryDenyWriteExecute are checked against
/// what really ran, iptables children included. Everything happens in a network namespace of the
/// test's own; only loopback traffic.</summary>
[Collection(PackagingCollection.Name)]
public sealed class HardenedServiceTests
{
    private static readonly TimeSpan s_start = TimeSpan.FromSeconds(30);

    [RootFact]
    public void Aaaa_answers_and_cleans_up_under_its_unit_with_iptables_nft() => AaaaLifecycle("iptables-nft");

    [RootFact]
    public void Aaaa_answers_and_cleans_up_under_its_unit_with_iptables_legacy() => AaaaLifecycle("iptables-legacy");

    private static void AaaaLifecycle(string iptables)
    {
        var unit = new UnitFile(PackageBuild.UnitPath("postern-aaaa"));
        string binary = Repository.Binary("postern-aaaa");
        string ip6tables = iptables.Replace("iptables", "ip6tables", StringComparison.Ordinal);
        string[] options = { "--chain", "output", "--stats-interval", "0", "--iptables", iptables };
        using Netns netns = Netns.Create("pkgsvc");

        string Rules() =>
            netns.Check(iptables, "-S") + netns.Check(iptables, "-t", "raw", "-S") +
            netns.Check(ip6tables, "-S") + netns.Check(ip6tables, "-t", "raw", "-S");

        // Start: readiness through NOTIFY_SOCKET, once the rules are in.
        using (SandboxRun run = SandboxRun.Start(netns, unit, binary, options))
        {
            Assert.True(run.WaitForOutput("READY=1", s_start), "no READY=1 under the sandbox:\n" + run.Output);
            string rules = Rules();
            Assert.Contains("NFQUEUE --queue-num 53", rules, StringComparison.Ordinal);
            Assert.Contains("postern-aaaa:q53", rules, StringComparison.Ordinal);

            // It answers: an AAAA query on loopback gets NOERROR with no answer.
            CommandResult dig = netns.Run(TimeSpan.FromSeconds(20), "dig", "+tries=1", "+time=3", "@127.0.0.1", "example.com", "AAAA");
            Assert.Contains("status: NOERROR", dig.Output, StringComparison.Ordinal);
            Assert.Contains("ANSWER: 0,", dig.Output, StringComparison.Ordinal);

            // systemd stops it with SIGTERM: the rules go, the exit is clean.
            run.Signal("TERM");
            (int exit, string output, SyscallTrace trace) = run.WaitForEnd(TimeSpan.FromSeconds(20));
            Assert.True(exit == 0, output);
            Assert.DoesNotContain("postern-aaaa", Rules(), StringComparison.Ordinal);
            Assert.Contains("execve(\"/usr/sbin/" + iptables, trace.Log, StringComparison.Ordinal);
            SandboxRun.AssertWithinUnit(unit, trace);
        }

        // Killed (SIGKILL, a crash): the rules stay, and ExecStopPost's --cleanup with the same
        // options, under the same sandbox, removes them.
        using (SandboxRun run = SandboxRun.Start(netns, unit, binary, options))
        {
            Assert.True(run.WaitForOutput("READY=1", s_start), run.Output);
            run.Signal("KILL");
            run.WaitForEnd(TimeSpan.FromSeconds(20));
            Assert.Contains("postern-aaaa:q53", Rules(), StringComparison.Ordinal);
        }
        (int cleanupExit, string cleanupOutput, SyscallTrace cleanupTrace) =
            SandboxRun.Run(netns, unit, binary, options.Append("--cleanup").ToArray());
        Assert.True(cleanupExit == 0, cleanupOutput);
        Assert.DoesNotContain("postern-aaaa", Rules(), StringComparison.Ordinal);
        SandboxRun.AssertWithinUnit(unit, cleanupTrace);
    }

    /// <summary>postern-reflector must answer on its default port under its unit (an unprivileged
    /// user, no capabilities). Without the binary: skipped with the reason, or failed in CI.</summary>
    [BuiltBinaryFact("postern-reflector")]
    public void Reflector_answers_under_its_unit_when_built()
    {
        string binary = Repository.Binary("postern-reflector");
        var unit = new UnitFile(PackageBuild.UnitPath("postern-reflector"));
        Assert.Equal(new[] { "nobody", "" }, SandboxRun.SandboxArguments(unit));
        using Netns netns = Netns.Create("pkgrefl");
        using SandboxRun run = SandboxRun.Start(netns, unit, binary);
        Assert.True(run.WaitForOutput("READY=1", s_start), "no READY=1 under the sandbox:\n" + run.Output);

        CommandResult reply = netns.Sh("echo hello | socat -T 3 - UDP:127.0.0.1:2727", TimeSpan.FromSeconds(20));
        Assert.Contains("Your address is ('127.0.0.1', ", reply.Output, StringComparison.Ordinal);

        run.Signal("TERM");
        (int exit, string output, SyscallTrace trace) = run.WaitForEnd(TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, output);
        SandboxRun.AssertWithinUnit(unit, trace);
    }

    /// <summary>postern-socks must relay UDP on its default port under its unit (an unprivileged
    /// user, no capabilities, its system call filter: epoll, eventfd, recvmmsg/sendmmsg and the
    /// error queue), and SIGHUP, which its unit sends on reload, must not stop it.</summary>
    [BuiltBinaryFact("postern-socks")]
    public void Socks_relays_udp_under_its_unit_and_survives_a_reload_when_built()
    {
        string binary = Repository.Binary("postern-socks");
        var unit = new UnitFile(PackageBuild.UnitPath("postern-socks"));
        Assert.Equal(new[] { "nobody", "" }, SandboxRun.SandboxArguments(unit));
        Assert.Equal("/bin/kill -HUP $MAINPID", unit.All("Service", "ExecReload").Single());
        using Netns netns = Netns.Create("pkgsocks");
        using BackgroundProcess echo = UdpPeer.StartEcho(netns, "127.0.0.1:7");
        using SandboxRun run = SandboxRun.Start(netns, unit, binary);
        Assert.True(run.WaitForOutput("READY=1", s_start), "no READY=1 under the sandbox:\n" + run.Output);

        CommandResult first = UdpPeer.Run(netns, TimeSpan.FromSeconds(30), "socks", "127.0.0.1:1080", "127.0.0.1:7", "--count", "3");
        Assert.Contains("echoes 3", first.Output, StringComparison.Ordinal);
        run.Signal("HUP");
        Assert.True(run.WaitForOutput("SIGHUP: no --users file to reread", s_start), run.Output);
        CommandResult second = UdpPeer.Run(netns, TimeSpan.FromSeconds(30), "socks", "127.0.0.1:1080", "127.0.0.1:7", "--count", "3");
        Assert.Contains("echoes 3", second.Output, StringComparison.Ordinal);

        run.Signal("TERM");
        (int exit, string output, SyscallTrace trace) = run.WaitForEnd(TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, output);
        SandboxRun.AssertWithinUnit(unit, trace);
    }

    /// <summary>postern-map must learn a mapping, become ready and run its hook (/bin/sh and
    /// what the hook runs are under the same sandbox) under its unit: an unprivileged user, no
    /// capabilities, its system call filter; a loopback reflector in the namespace is the STUN
    /// server.</summary>
    [BuiltBinaryFact("postern-map")]
    public void Map_learns_a_mapping_and_runs_its_hook_under_its_unit_when_built()
    {
        string binary = Repository.Binary("postern-map");
        var unit = new UnitFile(PackageBuild.UnitPath("postern-map"));
        Assert.Equal(new[] { "nobody", "" }, SandboxRun.SandboxArguments(unit));
        using Netns netns = Netns.Create("pkgmap");
        using BackgroundProcess reflector = netns.Start(Repository.Binary("postern-reflector"), "--listen", "udp:127.0.0.1:3478", "--stats-interval", "0");
        Assert.True(reflector.WaitForOutput("ready:", s_start), reflector.Output);
        using SandboxRun run = SandboxRun.Start(netns, unit, binary, "--udp", "--bind", "127.0.0.1:40000", "--server", "127.0.0.1",
            "--hook", "echo HOOK", "--keepalive", "1");
        Assert.True(run.WaitForOutput("READY=1", s_start), "no READY=1 under the sandbox:\n" + run.Output);
        Assert.True(run.WaitForOutput("HOOK 127.0.0.1 40000 2001::9c40:7f00:1 40000 udp 127.0.0.1", s_start), run.Output);
        Assert.True(run.WaitForOutput("hook: done", s_start), run.Output);

        run.Signal("TERM");
        (int exit, string output, SyscallTrace trace) = run.WaitForEnd(TimeSpan.FromSeconds(20));
        Assert.True(exit == 0, output);
        SandboxRun.AssertWithinUnit(unit, trace);
    }
}
