namespace Postern.Netfilter;

/// <summary>A handler that keeps some packets' verdicts for later (a "hold"): it sets
/// <see cref="NfqueueLoop.Held"/> for them in <see cref="IQueueBatchHandler.Handle"/>, after it has
/// recorded the packet id, and the loop then sends no verdict for them with the batch. The loop
/// asks for the verdicts that are due after every batch and whenever the receive times out (it
/// waits no longer than <see cref="MillisecondsUntilDue"/>), all on the loop's own thread, and when
/// it stops it takes every held verdict (<c>releaseAll</c>) before it returns, so a held packet
/// gets its verdict on every path. NFQUEUE verdicts go one message per packet id (never
/// NFQNL_MSG_VERDICT_BATCH, which would cover every lower id), so a held id stays held.</summary>
public interface IHeldVerdicts
{
    /// <summary>Milliseconds until the next held verdict is due: 0 when one is due now, -1 when
    /// nothing is held.</summary>
    int MillisecondsUntilDue();

    /// <summary>Writes up to <paramref name="ids"/>.Length verdicts that are due (every held one,
    /// with <paramref name="releaseAll"/>) and forgets them; returns how many it wrote. The loop
    /// calls again while the spans come back full.</summary>
    int TakeDue(bool releaseAll, Span<uint> ids, Span<byte> verdicts);
}
