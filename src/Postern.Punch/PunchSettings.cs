namespace Postern.Punch;

/// <summary>How a punch attempt paces itself. The defaults are the issue's: probes 50 ms apart
/// (ICE's Ta) with backoff, a spray at 200 probes/s for birthday probing, openers with TTL 2.</summary>
public sealed record PunchSettings
{
    /// <summary>The first retransmission interval of a candidate; it doubles up to <see cref="MaxInterval"/>.</summary>
    public TimeSpan Pace { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan MaxInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an attempt probes before it gives up.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>IP TTL of the openers: enough to pass one's own NAT(s), too little to reach the
    /// peer's (0: no openers).</summary>
    public int OpenerTtl { get; init; } = 2;

    /// <summary>The wait between the openers and the first probes, so that the peer's openers
    /// are out before our probes reach its NAT (set from the round trip to the reflector).</summary>
    public TimeSpan OpenerLead { get; init; } = MinimumOpenerLead;

    /// <summary>The least opener lead of a punch: more than the skew of the two sides' starts on
    /// a busy host (the round trip to the reflector raises it, up to 200 ms).</summary>
    public static readonly TimeSpan MinimumOpenerLead = TimeSpan.FromMilliseconds(100);

    /// <summary>After the first confirmed path that is not LAN, the longest LAN candidates still get
    /// (<see cref="PathChoice.Grace"/>: twice the round trip, at least 10 ms, at most this).</summary>
    public TimeSpan LanGrace { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a side that is done keeps answering, so that the peer completes too.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Birthday probing, the sprayed side: probes per second to random ports of the
    /// peer's public address.</summary>
    public int ProbeRate { get; init; } = 200;

    /// <summary>Birthday probing, the hard side: how often its openers are sent again, so that
    /// its mappings stay open while the peer sprays.</summary>
    public TimeSpan BirthdayRefresh { get; init; } = TimeSpan.FromSeconds(2);
}
