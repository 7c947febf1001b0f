using Postern.Hosting;

namespace Postern.Punch;

/// <summary>What one run of postern-punch sent and received, for the log's stats line and the
/// attempt record. Single-threaded: the punch loop owns it.</summary>
public sealed class PunchCounters
{
    public long OpenersSent;
    public long ProbesSent;
    public long ProbesReceived;
    public long AnswersReceived;
    public long ProbesForged;
    public long UnknownNonce;
    public long Stray;
    public long KeepalivesSent;
    public long KeepaliveAnswers;
    public long ForwardedOut;
    public long ForwardedIn;
    public long SendErrors;
    public long SealedSent;
    public long SealedReceived;
    public long SealedRejected;
    public long UpgradeProbesSent;
    public long SwitchOffersSent;
    public long SwitchOffersReceived;
    public long PathSwitches;

    public MetricSet ToMetrics()
    {
        var set = new MetricSet("punch");
        set.AddCounter("openers", "Low-TTL openers sent", () => OpenersSent);
        set.AddCounter("probes-sent", "Authenticated probes sent", () => ProbesSent);
        set.AddCounter("probes-received", "The peer's probes received and answered", () => ProbesReceived);
        set.AddCounter("answers", "Answers to our probes received", () => AnswersReceived);
        set.AddCounter("probes-forged", "Probe-shaped datagrams whose MAC did not verify", () => ProbesForged);
        set.AddCounter("unknown-nonce", "Authentic answers to a probe never sent", () => UnknownNonce);
        set.AddCounter("stray", "Datagrams that were no probe, from no peer", () => Stray);
        set.AddCounter("keepalives", "Keepalives (consent checks) sent", () => KeepalivesSent);
        set.AddCounter("keepalive-answers", "Keepalive answers received", () => KeepaliveAnswers);
        set.AddCounter("forwarded-out", "Datagrams forwarded from the local program to the peer", () => ForwardedOut);
        set.AddCounter("forwarded-in", "Datagrams forwarded from the peer to the local program", () => ForwardedIn);
        set.AddCounter("send-errors", "Datagrams the kernel refused to send", () => SendErrors);
        set.AddCounter("sealed-sent", "Sealed control messages sent (the mosh key, its ack)", () => SealedSent);
        set.AddCounter("sealed-received", "Sealed control messages received that opened and were expected", () => SealedReceived);
        set.AddCounter("sealed-rejected", "Sealed-looking datagrams that did not open under the key, or were not expected", () => SealedRejected);
        set.AddCounter("upgrade-probes", "Probes sent to the peer's direct candidates while a relayed path was held", () => UpgradeProbesSent);
        set.AddCounter("switch-offers", "Offers sent to move a relayed path to a direct one that answered", () => SwitchOffersSent);
        set.AddCounter("switch-offers-received", "The peer's offers to move a relayed path to a direct one, answered", () => SwitchOffersReceived);
        set.AddCounter("switches", "Held paths moved from the relay to a direct path, both sides agreeing", () => PathSwitches);
        return set;
    }
}
