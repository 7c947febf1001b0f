namespace Postern.Netfilter.Tests;

/// <summary>iptables and ip6tables stand-ins (FakeIptables.sh) in a temporary directory: they log
/// every call and keep their rules in a text file, so that RuleSet's decisions can be checked
/// without root or a kernel. Only the policy is under test here; the real programs are exercised
/// by the integration tests.</summary>
public sealed class FakeIptables : IDisposable
{
    private readonly DirectoryInfo _directory;

    public FakeIptables()
    {
        _directory = System.IO.Directory.CreateTempSubdirectory("postern-fake-iptables-");
        string script = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "FakeIptables.sh"));
        foreach (string name in new[] { "iptables", "ip6tables" })
        {
            string path = Path.Combine(_directory.FullName, name);
            File.WriteAllText(path, script);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        Iptables = new Iptables(Path.Combine(_directory.FullName, "iptables"));
    }

    public Iptables Iptables { get; }

    public string Directory => _directory.FullName;

    /// <summary>The stored rules as "TABLE|-A CHAIN ..." lines, newest first.</summary>
    public string[] Rules(IpFamily family)
    {
        string path = Iptables.Program(family) + ".rules";
        return File.Exists(path) ? File.ReadAllLines(path).Where(line => line.Length > 0).ToArray() : [];
    }

    public void SetRules(IpFamily family, IEnumerable<string> lines) =>
        File.WriteAllLines(Iptables.Program(family) + ".rules", lines);

    /// <summary>Every call so far, each as its argument list.</summary>
    public string[][] Calls(IpFamily family)
    {
        string path = Iptables.Program(family) + ".log";
        return File.Exists(path) ? File.ReadAllLines(path).Select(line => line.Split('\t')).ToArray() : [];
    }

    /// <summary>Each call's operation (-C, -I, -D, -S) with its table and chain: "-C filter INPUT".</summary>
    public string[] Operations(IpFamily family) =>
        Calls(family).Select(call => $"{call[3]} {call[2]} {call[4]}").ToArray();

    public void ClearLog()
    {
        File.Delete(Iptables.Ipv4Program + ".log");
        File.Delete(Iptables.Ipv6Program + ".log");
    }

    /// <summary>After <paramref name="count"/> successful insertions (both programs together), every
    /// insertion fails as iptables does for an unknown match or target.</summary>
    public void FailInsertionsAfter(int count) => File.WriteAllText(Path.Combine(Directory, "fail-insert-after"), count + "\n");

    /// <summary>Insertions report success but leave nothing behind.</summary>
    public void LoseInsertions() => File.WriteAllText(Path.Combine(Directory, "lose-inserts"), "");

    public void Dispose() => _directory.Delete(recursive: true);
}
