namespace Postern.Map;

/// <summary>The gateway's epoch (seconds since its mappings began) against the client's own
/// clock: a gateway that restarted, or lost its mappings, answers with an epoch that did not
/// advance as the client's time did, and every mapping must be made again.</summary>
public static class GatewayEpoch
{
    /// <summary>RFC 6886 section 3.6 (NAT-PMP): the epoch went backwards, or advanced by less than
    /// 7/8 of the client's elapsed time minus 2 seconds.</summary>
    public static bool NatPmpLost(uint previousEpoch, uint epoch, TimeSpan clientElapsed)
    {
        if (epoch < previousEpoch)
        {
            return true;
        }
        double server = epoch - previousEpoch;
        return server < clientElapsed.TotalSeconds * 7 / 8 - 2;
    }

    /// <summary>RFC 6887 section 8.5 (PCP): the epoch went back by more than a second, or the two deltas differ by
    /// more than 2 seconds plus a sixteenth of either.</summary>
    public static bool PcpLost(uint previousEpoch, uint epoch, TimeSpan clientElapsed)
    {
        if ((long)epoch + 1 < previousEpoch)
        {
            return true;
        }
        double server = (double)epoch - previousEpoch;
        double client = clientElapsed.TotalSeconds;
        return client + 2 < server - server / 16 || server + 2 < client - client / 16;
    }
}
