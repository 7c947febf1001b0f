using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>A real mosh session over a punched path between two cone NATs: stock mosh-server on
/// host A (started by --mosh-server), stock mosh-client on host B (run by --mosh-client inside
/// tmux, as a person would at a terminal), a command typed into the remote shell and its output
/// read off the screen; the key never on a command line; and the flags' usage errors.</summary>
public class MoshTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    /// <summary>Cone NATs with an OpenWrt-like WAN firewall: these tests are about the hand-off,
    /// and behind such NATs a probe that arrives before the peer's opener is dropped without a
    /// trace. Behind plain MASQUERADE boxes it is recorded and spoils the path (DESIGN.md), which
    /// the openers prevent only when each side is scheduled in time: on a loaded machine (the
    /// whole suite on 2 cores) that lost 1 punch in 3 here, and a mosh test failing on it would
    /// say nothing about mosh.</summary>
    private static PunchLab Lab() => new(new SiteOptions { WanFirewall = true }, new SiteOptions { WanFirewall = true });

    [RootFact]
    public void A_mosh_session_runs_over_the_punched_path_and_ends_with_the_remote_shell()
    {
        string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(5)).ToLowerInvariant();
        using PunchLab lab = Lab();
        using var scratch = new ScratchDirectory("mosh");
        using var session = MoshSession.Start(lab, scratch);
        BackgroundProcess a = session.A;
        TmuxSession tmux = session.Tmux;
        Assert.Matches(@"on the other host run: .* --code \S+ --mosh-client", a.Output);

        // mosh-server really runs on host A, detached, in A's namespace; mosh-client on B.
        int serverPid = session.WaitForBothMoshEnds();
        Assert.Equal("mosh-server", Comm(serverPid));
        Assert.Equal(lab.A.Host.Name, Shell.Check("ip", "netns", "identify", serverPid.ToString(CultureInfo.InvariantCulture)).Trim());
        int clientPid = Pid(session.LogB(), @"mosh-client: pid (\d+), to 127\.0\.0\.1:\d+");
        Assert.Equal("mosh-client", Comm(clientPid));
        Assert.Equal(lab.B.Host.Name, Shell.Check("ip", "netns", "identify", clientPid.ToString(CultureInfo.InvariantCulture)).Trim());

        // Typed into mosh-client's terminal, run by the shell mosh-server started on A: the
        // output line (42-TOKEN-NAMESPACE) is on the screen, not only the typed command.
        tmux.TypeLine($"echo $((6*7))-{token}-$(ip netns identify $$)");
        Assert.True(tmux.WaitForLine($"42-{token}-{lab.A.Host.Name}", Long), session.Both());
        Console.WriteLine($"mosh: B's screen:\n{tmux.Screen().TrimEnd()}");

        // The key: mosh-client has it in its environment, and it is nowhere else to be read.
        string key = MoshKeyOf(clientPid);
        Assert.Matches("^[A-Za-z0-9+/]{22}$", key);
        string everyCommandLine = Shell.Check("ps", "-eo", "args");
        Assert.Contains("mosh-client 127.0.0.1 ", everyCommandLine);
        Assert.Contains("mosh-server new -i 127.0.0.1 -p 0", everyCommandLine);
        Assert.DoesNotContain(key, everyCommandLine);
        Assert.DoesNotContain(key, a.Output);
        Assert.DoesNotContain(key, session.LogB());
        Assert.DoesNotContain(key, tmux.Screen());

        // exit in the remote shell: mosh-server ends, mosh-client with it, and both postern-punch
        // processes, B with mosh-client's status.
        tmux.TypeLine("exit");
        Assert.Equal(0, Punch.WaitExit(a, Long));
        Assert.True(session.WaitForStatusB(Long), session.Both());
        Assert.Equal("0", File.ReadAllText(session.StatusB).Trim());
        string logB = session.LogB();
        Assert.Contains($"mosh-server (pid {serverPid}) ended", a.Output);
        Assert.Contains("mosh-client exited with status 0", logB);
        Assert.True(Punch.Stat(a.Output, "sealed-sent") >= 1, a.Output);
        Assert.True(Punch.Stat(a.Output, "sealed-received") >= 1, a.Output);
        Assert.Equal(0, Punch.Stat(a.Output, "sealed-rejected"));
        Assert.True(Punch.Stat(logB, "sealed-received") >= 1, logB);
        Assert.True(Punch.Stat(logB, "forwarded-out") >= 1, logB);
        Assert.True(Punch.Stat(a.Output, "forwarded-in") >= 1, a.Output);

        // Nothing of the session is left: no mosh-server, no mosh-client, in either namespace.
        Assert.True(WaitFor(() => Comm(serverPid) != "mosh-server", TimeSpan.FromSeconds(10)));
        Assert.True(WaitFor(() => Comm(clientPid) != "mosh-client", TimeSpan.FromSeconds(10)));
        foreach (Netns host in new[] { lab.A.Host, lab.B.Host })
        {
            foreach (string pid in Shell.Check("ip", "netns", "pids", host.Name).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Assert.DoesNotMatch("^mosh-", Comm(int.Parse(pid, CultureInfo.InvariantCulture)));
            }
        }
    }

    [RootFact]
    public void A_stop_signal_ends_both_sides_and_takes_mosh_server_with_it()
    {
        using PunchLab lab = Lab();
        using var scratch = new ScratchDirectory("mosh");
        using var session = MoshSession.Start(lab, scratch);
        int serverPid = session.WaitForBothMoshEnds();

        // SIGTERM to A: the peer is told (a close probe), mosh-server is stopped, and B ends too.
        session.A.Signal(15);
        Assert.Equal(0, Punch.WaitExit(session.A, Long));
        Assert.Contains($"mosh-server (pid {serverPid}): stopping it", session.A.Output);
        Assert.True(WaitFor(() => Comm(serverPid) != "mosh-server", TimeSpan.FromSeconds(10)));
        Assert.True(session.WaitForStatusB(Long), session.Both());
        Assert.Contains("closed the path", session.LogB());
    }

    [RootFact]
    public void With_keep_a_lost_path_is_punched_again_and_the_same_mosh_session_goes_on()
    {
        string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(5)).ToLowerInvariant();
        using PunchLab lab = Lab();
        using var scratch = new ScratchDirectory("mosh");
        string[] keep = { "--keep", "--keepalive", "1", "--consent-timeout", "3" };
        using var session = MoshSession.Start(lab, scratch, keep);
        int serverPid = session.WaitForBothMoshEnds();
        int clientPid = Pid(session.LogB(), @"mosh-client: pid (\d+)");
        session.Tmux.TypeLine($"echo $((6*7))-{token}-before");
        Assert.True(session.Tmux.WaitForLine($"42-{token}-before", Long), session.Both());

        // NAT A drops the site's UDP for longer than the consent timeout, then lets it through.
        lab.A.Nat.Check("iptables", "-I", "FORWARD", "-p", "udp", "-j", "DROP");
        Assert.True(session.A.WaitForOutput("re-punching (--keep), round 2", Long), session.Both());
        Assert.True(WaitFor(() => session.LogB().Contains("re-punching (--keep), round 2", StringComparison.Ordinal), Long), session.Both());
        lab.A.Nat.Check("iptables", "-D", "FORWARD", "-p", "udp", "-j", "DROP");
        Assert.True(WaitFor(() => Regex.Matches(session.A.Output, "mosh: the peer has the session key").Count >= 2, Long), session.Both());

        // The same mosh-server and mosh-client, roamed to the new path: the shell still answers.
        session.Tmux.TypeLine($"echo $((6*7))-{token}-after");
        Assert.True(session.Tmux.WaitForLine($"42-{token}-after", Long), session.Both());
        Assert.Equal("mosh-server", Comm(serverPid));
        Assert.Equal("mosh-client", Comm(clientPid));
        Assert.Single(Regex.Matches(session.A.Output, "mosh-server: pid "));
        Assert.Single(Regex.Matches(session.LogB(), "mosh-client: pid "));

        session.Tmux.TypeLine("exit");
        Assert.Equal(0, Punch.WaitExit(session.A, Long));
        Assert.True(session.WaitForStatusB(Long), session.Both());
        Assert.Equal("0", File.ReadAllText(session.StatusB).Trim());
    }

    /// <summary>The reflector, A's connect --mosh-server and B's connect --mosh-client in tmux
    /// (stderr to a log file, the exit status to a file once it ends).</summary>
    private sealed class MoshSession : IDisposable
    {
        private readonly BackgroundProcess _reflector;

        private MoshSession(BackgroundProcess reflector, BackgroundProcess a, TmuxSession tmux, string logB, string statusB)
        {
            _reflector = reflector;
            A = a;
            Tmux = tmux;
            LogFileB = logB;
            StatusB = statusB;
        }

        public BackgroundProcess A { get; }
        public TmuxSession Tmux { get; }
        public string LogFileB { get; }
        public string StatusB { get; }

        public static MoshSession Start(PunchLab lab, ScratchDirectory scratch, string[]? extra = null)
        {
            extra ??= Array.Empty<string>();
            BackgroundProcess reflector = Punch.StartReflector(lab.Reflector);
            BackgroundProcess? a = null;
            try
            {
                a = Punch.Start(lab.A, new[] { "connect", "--server", Punch.Server, "--mosh-server" }.Concat(extra).ToArray());
                string code = Punch.CodeOf(a);
                string logB = scratch.Combine("b.log");
                string statusB = scratch.Combine("b.status");
                var tmux = TmuxSession.Start(scratch,
                    $"ip netns exec {lab.B.Host.Name} {Punch.Binary} connect --server {Punch.Server} --code {code} --mosh-client {string.Join(' ', extra)} 2>{logB}; echo $? >{statusB}");
                return new MoshSession(reflector, a, tmux, logB, statusB);
            }
            catch
            {
                a?.Dispose();
                reflector.Dispose();
                throw;
            }
        }

        public string LogB() => File.Exists(LogFileB) ? File.ReadAllText(LogFileB) : "";

        public string Both() => $"--- A:\n{A.Output}\n--- B:\n{LogB()}\n--- B's screen:\n{Tmux.Screen()}";

        /// <summary>Both ends up: A has the ack, B has started mosh-client. mosh-server's pid.</summary>
        public int WaitForBothMoshEnds()
        {
            Assert.True(A.WaitForOutput("mosh: the peer has the session key", Long), Both());
            Assert.True(WaitFor(() => LogB().Contains("mosh-client: pid ", StringComparison.Ordinal), Long), Both());
            return Pid(A.Output, @"mosh-server: pid (\d+), listening on 127\.0\.0\.1:\d+");
        }

        public bool WaitForStatusB(TimeSpan timeout) => WaitFor(() => File.Exists(StatusB) && File.ReadAllText(StatusB).Trim().Length > 0, timeout);

        public void Dispose()
        {
            Tmux.Dispose();
            A.Dispose();
            _reflector.Dispose();
        }
    }

    public static TheoryData<string[], string> BadMoshFlags => new()
    {
        { new[] { "--mosh-server", "--mosh-client" }, "--mosh-server and --mosh-client exclude each other: one side runs mosh-server, the other mosh-client" },
        { new[] { "--mosh-server", "--forward", "127.0.0.1:7000" }, "--mosh-server and --forward exclude each other: the path is relayed to mosh, not to another port" },
        { new[] { "--mosh-client", "--exec", "true" }, "--mosh-client and --exec exclude each other: the path is held for mosh, not handed to a command" },
        { new[] { "--mosh-server", "--wireguard", "wg0", "--peer-key", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" },
            "--mosh-server and --wireguard exclude each other: the path is held for mosh, not handed to WireGuard" },
        { new[] { "--keep" }, "--keep needs --forward, --mosh-server or --mosh-client (only a held path can be lost and punched again)" },
    };

    [BuiltBinaryTheory("postern-punch")]
    [MemberData(nameof(BadMoshFlags))]
    public void Bad_mosh_flags_are_one_sentence_and_exit_2(string[] flags, string sentence)
    {
        // The server is unreachable from here on purpose: usage is checked before any socket.
        CommandResult result = Shell.Run(Punch.Binary, new[] { "connect", "--server", PunchLab.ReflectorAddress }.Concat(flags), TimeSpan.FromSeconds(10));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("postern-punch: " + sentence, (result.Output + result.Error).Trim());
    }

    [BuiltBinaryTheory("postern-punch")]
    [InlineData("--mosh-server", "mosh-server")]
    [InlineData("--mosh-client", "mosh-client")]
    public void A_missing_mosh_program_is_found_before_pairing(string flag, string program)
    {
        // Nothing is paired or sent: the reflector is unreachable from here, and no code is printed.
        CommandResult result = Shell.Run("env", new[] { "PATH=/nonexistent-postern", Punch.Binary, "connect", "--server", PunchLab.ReflectorAddress, flag },
            TimeSpan.FromSeconds(10));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"postern-punch: {flag}: {program} is not on PATH (install mosh)", (result.Output + result.Error).Trim());
    }

    private static int Pid(string output, string pattern)
    {
        Match match = Regex.Match(output, pattern);
        Assert.True(match.Success, $"no /{pattern}/ in:\n{output}");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static string Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return ""; // gone (DirectoryNotFoundException and FileNotFoundException are IOExceptions)
        }
    }

    /// <summary>MOSH_KEY as mosh-client got it: its initial environment (mosh-client unsets the
    /// variable once read, but the block the kernel shows in /proc/PID/environ keeps it).</summary>
    private static string MoshKeyOf(int pid)
    {
        string environ = File.ReadAllText($"/proc/{pid}/environ");
        string? entry = environ.Split('\0').FirstOrDefault(e => e.StartsWith("MOSH_KEY=", StringComparison.Ordinal));
        Assert.True(entry is not null, $"no MOSH_KEY in mosh-client's environment (pid {pid})");
        return entry!["MOSH_KEY=".Length..];
    }

    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(100);
        }
        return condition();
    }
}
