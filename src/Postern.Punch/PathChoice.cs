namespace Postern.Punch;

/// <summary>Chooses one of the confirmed paths: the best kind (LAN, direct, birthday, relay),
/// then the shortest round trip. Pure, so that it is tested without sockets.</summary>
public static class PathChoice
{
    public static ConfirmedPath? Choose(IReadOnlyList<ConfirmedPath> confirmed)
    {
        ConfirmedPath? best = null;
        foreach (ConfirmedPath path in confirmed)
        {
            if (best is null || path.Kind < best.Kind || (path.Kind == best.Kind && path.RoundTrip < best.RoundTrip))
            {
                best = path;
            }
        }
        return best;
    }

    /// <summary>Whether to wait for something better than <paramref name="best"/>: a LAN path
    /// needs no waiting; anything else is worth a short wait while LAN candidates are still
    /// being probed, because a LAN answer usually arrives within a few milliseconds.</summary>
    public static bool IsFinal(ConfirmedPath best, bool lanCandidatesPending) =>
        best.Kind == CandidateKind.Lan || !lanCandidatesPending;

    /// <summary>How long LAN candidates still get once <paramref name="best"/> is confirmed: the
    /// LAN probes went out with the others, over a shorter path, so a LAN answer that has not come
    /// within twice the best path's round trip (at least 10 ms) is not coming; never more than
    /// <paramref name="limit"/>.</summary>
    public static TimeSpan Grace(ConfirmedPath best, TimeSpan limit)
    {
        TimeSpan grace = TimeSpan.FromTicks(Math.Max(2 * best.RoundTrip.Ticks, TimeSpan.FromMilliseconds(10).Ticks));
        return grace < limit ? grace : limit;
    }
}
