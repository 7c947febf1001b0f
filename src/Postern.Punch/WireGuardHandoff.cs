using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Postern.Punch;

/// <summary>--wireguard IFACE --peer-key KEY: once punched, the socket is closed and
/// <c>wg set IFACE listen-port LOCAL peer KEY endpoint PEER persistent-keepalive 25</c> runs, so
/// the WireGuard interface (kernel or wireguard-go) binds the warm port and keeps the NAT mapping
/// open itself (25 s, as the keepalive of the punch).</summary>
public sealed record WireGuardHandoff(string Interface, string PeerKey)
{
    /// <summary>Seconds between WireGuard's own keepalives: within every NAT's UDP timeout.</summary>
    public const int PersistentKeepalive = 25;

    /// <summary>Linux's rule (dev_valid_name): 1 to 15 bytes (IFNAMSIZ less the NUL), not "." or
    /// "..", no '/', ':' or whitespace (nor control characters, which no tool can show). Null when
    /// the name is good.</summary>
    public static string? InterfaceProblem(string name)
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(name);
        if (bytes is 0 or > 15)
        {
            return $"--wireguard: '{name}' is not an interface name (1 to 15 bytes)";
        }
        if (name is "." or ".." || name.Any(c => c == '/' || c == ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return $"--wireguard: '{name}' is not an interface name (no '/', ':', whitespace or control characters; not . or ..)";
        }
        return null;
    }

    /// <summary>A WireGuard public key as wg prints it: 32 bytes in base64, 44 characters ending
    /// in '='. Null when the key is good.</summary>
    public static string? KeyProblem(string key)
    {
        Span<byte> bytes = stackalloc byte[33];
        return key.Length == 44 && key[43] == '=' && Convert.TryFromBase64String(key, bytes, out int written) && written == 32
            ? null
            : "--peer-key: not a WireGuard public key (44 characters of base64, as `wg pubkey` prints it)";
    }

    /// <summary>wg's arguments for the punched path.</summary>
    public IReadOnlyList<string> Arguments(int localPort, IPEndPoint peer) => new[]
    {
        "set", Interface, "listen-port", localPort.ToString(CultureInfo.InvariantCulture),
        "peer", PeerKey, "endpoint", Endpoints.Format(peer),
        "persistent-keepalive", PersistentKeepalive.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The wg binary of wireguard-tools on PATH, or null.</summary>
    public static string? FindWg() => ExecutablePath.Find("wg");

    /// <summary>Runs wg with the terminal's stdin, stdout and stderr and returns its exit status.</summary>
    public static int Run(string wg, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(wg) { UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
