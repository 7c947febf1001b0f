using System.Globalization;

namespace Postern.Testing;

/// <summary>One test host: a network namespace with its loopback up. Disposing it ends every
/// process inside it and deletes it, so a test leaves nothing behind even when it fails.</summary>
public sealed class Netns : IDisposable
{
    private static int s_counter;
    private readonly List<BackgroundProcess> _processes = new();
    private bool _disposed;

    private Netns(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>Creates a namespace named after the role, this process and a counter
    /// ("pst-client-1234-7"), so that parallel runs and leftovers are easy to tell apart.</summary>
    public static Netns Create(string role)
    {
        int n = Interlocked.Increment(ref s_counter);
        string name = string.Create(CultureInfo.InvariantCulture, $"pst-{role}-{Environment.ProcessId}-{n}");
        Shell.Run("ip", "netns", "add", name).EnsureSuccess();
        var netns = new Netns(name);
        try
        {
            netns.Check("ip", "link", "set", "lo", "up");
            // Test hosts answer at once: no duplicate address detection delay for IPv6.
            netns.Run("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0");
            netns.Run("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0");
        }
        catch
        {
            netns.Dispose();
            throw;
        }
        return netns;
    }

    private IEnumerable<string> Wrap(string file, IEnumerable<string> arguments) =>
        new[] { "netns", "exec", Name, file }.Concat(arguments);

    public CommandResult Run(string file, params string[] arguments) => Shell.Run("ip", Wrap(file, arguments));

    public CommandResult Run(TimeSpan timeout, string file, params string[] arguments) => Shell.Run("ip", Wrap(file, arguments), timeout);

    public string Check(string file, params string[] arguments) => Run(file, arguments).EnsureSuccess().Output;

    public CommandResult Sh(string script, TimeSpan? timeout = null) => Shell.Run("ip", Wrap("/bin/sh", new[] { "-c", script }), timeout);

    /// <summary>Starts a program inside the namespace; it is ended when the namespace is disposed.</summary>
    public BackgroundProcess Start(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var process = new BackgroundProcess("ip", Wrap(file, arguments), environment);
        lock (_processes)
        {
            _processes.Add(process);
        }
        return process;
    }

    public BackgroundProcess Start(string file, params string[] arguments) => Start(file, (IEnumerable<string>)arguments);

    public void Sysctl(string key, string value) => Check("sysctl", "-qw", key + "=" + value);

    public void EnableForwarding()
    {
        Sysctl("net.ipv4.ip_forward", "1");
        Sysctl("net.ipv6.conf.all.forwarding", "1");
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        lock (_processes)
        {
            foreach (BackgroundProcess process in _processes)
            {
                process.Dispose();
            }
        }
        // Anything else still in the namespace (a daemon that forked) goes too.
        CommandResult pids = Shell.Run("ip", "netns", "pids", Name);
        foreach (string pid in pids.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Shell.Run("kill", "-9", pid);
        }
        Shell.Run("ip", "netns", "del", Name);
    }
}
