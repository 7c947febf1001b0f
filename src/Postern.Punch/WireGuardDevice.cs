using System.Diagnostics;
using System.Globalization;

namespace Postern.Punch;

/// <summary>What `wg show IFACE ...` says of a WireGuard interface (kernel or wireguard-go): its
/// private key and listen port, read afresh each time (a service re-registers after either
/// changes).</summary>
public static class WireGuardDevice
{
    /// <summary>The interface's private key (32 bytes).</summary>
    public static byte[] PrivateKey(string wg, string iface) =>
        Wire.WireGuardRegister.ParseKey(Show(wg, iface, "private-key"))
        ?? throw new IOException($"{iface} has no private key (wg set {iface} private-key FILE)");

    /// <summary>The interface's UDP listen port; an interface without one is an error.</summary>
    public static ushort ListenPort(string wg, string iface)
    {
        string text = Show(wg, iface, "listen-port").Trim();
        return ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) && port != 0
            ? port
            : throw new IOException($"{iface} has no listen port (wg set {iface} listen-port PORT)");
    }

    /// <summary>`wg show IFACE FIELD`'s output; wg's failure (no such interface, no permission) is
    /// an <see cref="IOException"/> with what wg said.</summary>
    public static string Show(string wg, string iface, string field)
    {
        var start = new ProcessStartInfo(wg)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { "show", iface, field })
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string said = error.Result.Trim();
            throw new IOException($"wg show {iface} {field} failed" + (said.Length > 0 ? ": " + said.Split('\n')[0] : $" (status {process.ExitCode})"));
        }
        return output;
    }
}
