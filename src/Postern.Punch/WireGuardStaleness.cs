using System.Globalization;

namespace Postern.Punch;

/// <summary>`keep`'s policy: when is a path handed to WireGuard stale? A pure function of the
/// samples taken since the hand-off, tested without an interface.
/// <list type="bullet">
/// <item>The peer's rx bytes have not changed for <c>--stale</c> seconds. With persistent
/// keepalive set on both sides WireGuard sends something every N seconds even when idle, so a
/// live path grows rx at least that often; a few keepalives without any is a dead path.</item>
/// <item>The latest handshake is older than REJECT_AFTER_TIME (180 s, the whitepaper's section
/// 6.1): a sender starts a new handshake after REKEY_AFTER_TIME (120 s) and retries it every
/// REKEY_TIMEOUT (5 s) for REKEY_ATTEMPT_TIME (90 s); past 180 s the keys are refused, so no data
/// flows even if handshake initiations (which can count as rx) still arrive. A handshake from before
/// the hand-off counts from the hand-off: the new path gets the whole 180 s.</item>
/// </list></summary>
public static class WireGuardStaleness
{
    /// <summary>REJECT_AFTER_TIME: keys older than this are not used.</summary>
    public static readonly TimeSpan RejectAfterTime = TimeSpan.FromSeconds(180);

    /// <summary>Why the path is stale, or null while it lives. <paramref name="samples"/> are the
    /// samples since the hand-off, oldest first (the first taken at the hand-off), possibly
    /// thinned by <see cref="Compact"/>.</summary>
    public static string? Why(IReadOnlyList<PeerSample> samples, TimeSpan stale)
    {
        if (samples.Count == 0)
        {
            return null;
        }
        PeerSample first = samples[0];
        PeerSample latest = samples[^1];
        PeerSample runStart = samples[RunStart(samples)];
        TimeSpan still = latest.At - runStart.At;
        if (still >= stale)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"nothing received from the peer for {still.TotalSeconds:0} s (rx stayed at {latest.RxBytes} bytes; --stale {stale.TotalSeconds:0})");
        }
        long since = Math.Max(latest.LatestHandshake, first.Now);
        long age = latest.Now - since;
        if (age > (long)RejectAfterTime.TotalSeconds)
        {
            return latest.LatestHandshake < first.Now
                ? string.Create(CultureInfo.InvariantCulture, $"no handshake with the peer in the {age} s since the hand-off (WireGuard refuses keys after 180 s)")
                : string.Create(CultureInfo.InvariantCulture, $"the latest handshake is {age} s old (WireGuard refuses keys after 180 s)");
        }
        return null;
    }

    /// <summary>At start: does the interface already hold a live path to the peer (an endpoint,
    /// and a handshake younger than REJECT_AFTER_TIME), so that keep watches it before punching?
    /// A keep restarted while WireGuard kept running must not punch at once: its peer, still
    /// hearing it, would not come to the reflector.</summary>
    public static bool LiveAtStart(PeerSample sample, bool hasEndpoint) =>
        hasEndpoint && sample.LatestHandshake != 0 && sample.Now - sample.LatestHandshake <= (long)RejectAfterTime.TotalSeconds;

    /// <summary>Drops the samples <see cref="Why"/> does not need: it keeps the first (the
    /// hand-off), the one where the current run of equal rx began, and the latest, so that a
    /// path watched for months holds three samples.</summary>
    public static void Compact(List<PeerSample> samples)
    {
        int start = RunStart(samples);
        if (start > 1)
        {
            samples.RemoveRange(1, start - 1);
            start = 1;
        }
        if (samples.Count - start > 2)
        {
            samples.RemoveRange(start + 1, samples.Count - start - 2);
        }
    }

    /// <summary>The index where the latest run of equal rx counts began (a counter that went
    /// down, wg's peer removed and added again, begins a run as well).</summary>
    private static int RunStart(IReadOnlyList<PeerSample> samples)
    {
        for (int i = samples.Count - 1; i > 0; i--)
        {
            if (samples[i].RxBytes != samples[i - 1].RxBytes)
            {
                return i;
            }
        }
        return 0;
    }
}
