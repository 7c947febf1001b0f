using System.Diagnostics;

namespace Postern.Netfilter;

/// <summary>The iptables and ip6tables programs of one variant (nf_tables or legacy), found from
/// the name given for IPv4 (iptables, iptables-legacy, iptables-nft, or a path): the IPv6 one is
/// the same name with ip6tables.</summary>
public sealed class Iptables
{
    /// <summary>The exit code <see cref="Run"/> reports for a program that did not finish in time.</summary>
    public const int TimedOut = 124;

    /// <summary>How long one call may take. The rules pass <c>-w</c>, with which iptables-legacy
    /// waits without end for the xtables lock (/run/xtables.lock) another process holds; past this
    /// the call is ended (it has changed nothing while it waits) and reported as failed, so a start
    /// fails with a sentence instead of hanging and a stop ends. iptables-nft takes no such lock.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public Iptables(string ipv4Program = "iptables", TimeSpan? timeout = null)
    {
        Timeout = timeout ?? DefaultTimeout;
        Ipv4Program = ipv4Program;
        string directory = Path.GetDirectoryName(ipv4Program) ?? "";
        string file = Path.GetFileName(ipv4Program);
        Ipv6Program = Path.Combine(directory, file.Replace("iptables", "ip6tables", StringComparison.Ordinal));
    }

    public string Ipv4Program { get; }
    public string Ipv6Program { get; }

    public TimeSpan Timeout { get; }

    public string Program(IpFamily family) => family == IpFamily.Ipv4 ? Ipv4Program : Ipv6Program;

    /// <summary>The full path of a program, looked up in PATH (and the sbin folders, which a
    /// service's PATH may lack), or null when it is not installed.</summary>
    public static string? Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? program : null;
        }
        IEnumerable<string> directories = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" });
        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public IptablesResult Run(IpFamily family, IEnumerable<string> arguments)
    {
        string program = Resolve(Program(family)) ?? Program(family);
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        try
        {
            using Process process = Process.Start(info)!;
            Task<string> error = process.StandardError.ReadToEndAsync();
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return new IptablesResult(TimedOut, "",
                    $"{program} did not finish within {(int)Timeout.TotalSeconds} s (is another process holding the xtables lock?)");
            }
            process.WaitForExit();
            return new IptablesResult(process.ExitCode, output.Result, error.Result.Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new IptablesResult(127, "", $"cannot run {program}: {e.Message}");
        }
    }

    public static string Render(string program, IEnumerable<string> arguments) =>
        program + " " + string.Join(' ', arguments.Select(Quote));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_.:/!,=+@%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
