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

    /// <summary>Column <paramref name="column"/> (after the key, from 1) of the peer's line in
    /// wg's tab-separated per-peer output ("KEY\tVALUE..."), as a number.</summary>
    public static bool Field(string output, string peerKey, int column, out long value, out string? problem)
    {
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split('\t');
            if (fields[0] != peerKey)
            {
                continue;
            }
            if (column < fields.Length && long.TryParse(fields[column], NumberStyles.None, CultureInfo.InvariantCulture, out value))
            {
                problem = null;
                return true;
            }
            break;
        }
        value = 0;
        problem = $"no peer {peerKey} with a number in column {column + 1}";
        return false;
    }
}
