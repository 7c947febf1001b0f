namespace Postern.Testing;

/// <summary>Whether integration tests (namespaces, iptables, raw sockets) can run here. In CI
/// (CI=true) they always run, so that a missing privilege fails rather than skips.</summary>
public static class Privileges
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? WhyNotIntegration()
    {
        if (IsCi)
        {
            return null;
        }
        if (!Environment.IsPrivilegedProcess)
        {
            return "integration test needs root (network namespaces, iptables, NFQUEUE); run `make test` as root";
        }
        return File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip") || File.Exists("/usr/bin/ip")
            ? null
            : "integration test needs iproute2 (`make deps` installs it)";
    }
}
