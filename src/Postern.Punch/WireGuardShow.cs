using System.Globalization;

namespace Postern.Punch;

/// <summary>What `keep` reads from wg: one peer's rx bytes (`wg show IFACE transfer`) and latest
/// handshake (`wg show IFACE latest-handshakes`). Not `dump`, whose first line is the
/// interface's private key: postern-punch has no business holding it.</summary>
public static class WireGuardShow
{
    /// <summary>A sample of <paramref name="peerKey"/> on <paramref name="iface"/>, or null with
    /// one sentence on why there is none (wg failed, or the peer is not on the interface).</summary>
    public static PeerSample? Sample(string wg, string iface, string peerKey, TimeSpan at, out string? problem)
    {
        long rx = 0;
        long handshake = 0;
        if (Show(wg, iface, "transfer", out string transfer, out problem) &&
            Show(wg, iface, "latest-handshakes", out string handshakes, out problem) &&
            Field(transfer, peerKey, 1, out rx, out problem) &&
            Field(handshakes, peerKey, 1, out handshake, out problem))
        {
            return new PeerSample(at, rx, handshake, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        }
        problem = $"wg show {iface}: {problem}";
        return null;
    }

    private static bool Show(string wg, string iface, string what, out string output, out string? problem)
    {
        int status = WireGuardHandoff.Capture(wg, new[] { "show", iface, what }, out output);
        problem = status == 0 ? null : output.Length > 0 ? output : $"wg exited with status {status}";
        return status == 0;
    }

    /// <summary>The peer's endpoint as wg shows it (`wg show IFACE endpoints`), null when the
    /// peer has none or is not on the interface, or wg failed.</summary>
    public static string? Endpoint(string wg, string iface, string peerKey)
    {
        if (!Show(wg, iface, "endpoints", out string endpoints, out _))
        {
            return null;
        }
        string? endpoint = Column(endpoints, peerKey, 1);
        return endpoint is null or "(none)" ? null : endpoint;
    }

    /// <summary>Column <paramref name="column"/> (after the key, from 1) of the peer's line in
    /// wg's tab-separated per-peer output ("KEY\tVALUE..."), as a number.</summary>
    public static bool Field(string output, string peerKey, int column, out long value, out string? problem)
    {
        if (Column(output, peerKey, column) is { } text &&
            long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            problem = null;
            return true;
        }
        value = 0;
        problem = $"no peer {peerKey} with a number in column {column + 1}";
        return false;
    }

    /// <summary>Column <paramref name="column"/> of the peer's line, null when there is none.</summary>
    public static string? Column(string output, string peerKey, int column)
    {
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split('\t');
            if (fields[0] == peerKey)
            {
                return column < fields.Length ? fields[column] : null;
            }
        }
        return null;
    }
}
