using System.Diagnostics;
using System.Globalization;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The real systemd, as PID 1 of a container made of namespaces (see
/// systemd-container.sh), running the units under test from packaging/systemd with the role
/// binaries from Repository.Bin (build/linux-x64/bin). Disposing it kills the container and removes its cgroup; nothing of
/// it stays on the host.</summary>
public sealed class SystemdContainer : IDisposable
{
    private static int s_counter;
    private readonly ScratchDirectory _scratch = new("systemd");
    private readonly string _cgroup;
    private readonly BackgroundProcess _process;

    public SystemdContainer(IEnumerable<string> roles, IDictionary<string, string> options)
    {
        string units = _scratch.Combine("units");
        Directory.CreateDirectory(units);
        Directory.CreateDirectory(_scratch.Combine("sbin"));
        // Stub targets: the units' dependencies resolve, and nothing of the host's boot runs.
        foreach (string target in new[] { "default", "sysinit", "basic", "multi-user", "network-pre", "network", "network-online", "shutdown", "sockets", "timers", "paths", "slices", "local-fs" })
        {
            File.WriteAllText(Path.Combine(units, target + ".target"), $"[Unit]\nDescription=stub {target}\n");
        }
        foreach (string role in roles)
        {
            File.Copy(PackageBuild.UnitPath(role), Path.Combine(units, role + ".service"));
            File.Copy(Repository.Binary(role), _scratch.Combine("sbin", role));
            // The test's only changes: the options, and the output into a file the test reads
            // (there is no journald in the container).
            string dropins = _scratch.Combine("dropins", role + ".service.d");
            Directory.CreateDirectory(dropins);
            File.WriteAllText(Path.Combine(dropins, "test.conf"),
                $"[Service]\nEnvironment=\"{PackageBuild.OptionsVariable(role)}={options[role]}\"\n" +
                $"StandardOutput=append:/run/postern-test/{role}.log\nStandardError=inherit\n");
        }

        // A cgroup of its own, so that the container's systemd manages that subtree only.
        string hierarchy = Directory.Exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
        Assert.True(File.Exists(Path.Combine(hierarchy, "cgroup.procs")), "no cgroup2 hierarchy at " + hierarchy);
        _cgroup = Path.Combine(hierarchy, string.Create(CultureInfo.InvariantCulture, $"postern-test-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}"));
        Directory.CreateDirectory(_cgroup);

        string script = Path.Combine(AppContext.BaseDirectory, "systemd-container.sh");
        _process = new BackgroundProcess("bash", new[]
        {
            "-c",
            "echo $$ > \"$0/cgroup.procs\" && exec unshare --pid --fork --mount --uts --ipc --net --cgroup --propagation private bash \"$1\" \"$2\"",
            _cgroup, script, _scratch.Path,
        });

        var clock = Stopwatch.StartNew();
        string initProcs = Path.Combine(_cgroup, "init.scope", "cgroup.procs");
        while (Pid == 0 && clock.Elapsed < TimeSpan.FromSeconds(30) && !_process.HasExited)
        {
            if (File.Exists(initProcs) && int.TryParse(File.ReadAllText(initProcs).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                Pid = pid;
            }
            Thread.Sleep(100);
        }
        Assert.True(Pid != 0, "systemd did not come up in the container:\n" + _process.Output);
        string state = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            state = Run("systemctl", "is-system-running").Output.Trim();
            if (state is "running" or "degraded")
            {
                break;
            }
            Thread.Sleep(200);
        }
        Assert.True(state == "running", "the container's systemd is " + state + "\n" + Run("systemctl", "--failed", "--no-pager"));
    }

    /// <summary>systemd's PID, as the host sees it.</summary>
    public int Pid { get; private set; }

    /// <summary>Runs a command inside the container (all its namespaces).</summary>
    public CommandResult Run(string file, params string[] arguments) =>
        Shell.Run("nsenter", new[] { "-t", Pid.ToString(CultureInfo.InvariantCulture), "-a", file }.Concat(arguments), TimeSpan.FromSeconds(60));

    public string Check(string file, params string[] arguments) => Run(file, arguments).EnsureSuccess().Output;

    public string Property(string unit, string property) => Check("systemctl", "show", "-p", property, "--value", unit).Trim();

    public string Log(string role) => Run("cat", $"/run/postern-test/{role}.log").Output;

    public void Dispose()
    {
        if (Pid != 0)
        {
            // SIGKILL to a PID namespace's init ends every process in it.
            Shell.Run("kill", "-KILL", Pid.ToString(CultureInfo.InvariantCulture));
        }
        _process.Dispose();
        var clock = Stopwatch.StartNew();
        while (Directory.Exists(_cgroup) && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            // Deepest first; a cgroup goes once its last process has.
            foreach (string directory in Directory.GetDirectories(_cgroup, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(_cgroup))
            {
                try
                {
                    Directory.Delete(directory);
                }
                catch (IOException)
                {
                }
            }
            Thread.Sleep(100);
        }
        _scratch.Dispose();
    }
}
