using System.Diagnostics;
using System.Globalization;
using Postern.Hosting;

namespace Postern.Punch;

/// <summary>`keep`: connect --wireguard in a loop, with a watch on the peer in between. Each round
/// punches and hands the port to wg; then wg is asked every few seconds how much the peer has
/// sent and when it last shook hands (<see cref="WireGuardStaleness"/>). A stale path is logged
/// with its reason and punched again under the next round's token (code/1, code/2, as connect
/// --keep does).</summary>
public sealed partial class PunchClient
{
    /// <summary>The pause after a round that found no path, doubled after each one that follows
    /// up to <see cref="s_retryPauseMax"/> (two symmetric NATs never connect, and should not make
    /// the reflector pair them every two seconds for ever); the peer waits at the reflector
    /// meanwhile, so unequal pauses only delay the next round.</summary>
    private static readonly TimeSpan s_retryPause = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan s_retryPauseMax = TimeSpan.FromSeconds(60);

    public int Keep(KeepOptions options, CancellationToken cancel)
    {
        WireGuardHandoff handoff = options.Connect.WireGuard!;
        if (WireGuardHandoff.FindWg() is not { } wg)
        {
            Log.Error("--wireguard: wg is not on PATH (install wireguard-tools)");
            return ExitCodes.Startup;
        }
        // The interface must be there before anyone is paired; its public key goes into the
        // command printed for the peer.
        if (WireGuardHandoff.Capture(wg, new[] { "show", handoff.Interface, "public-key" }, out string ourKey) != 0)
        {
            Log.Error($"--wireguard: wg show {handoff.Interface}: {ourKey}");
            return ExitCodes.Startup;
        }
        string code = options.Connect.Code ?? Announce(options.Connect, "keep", $" --wireguard IFACE --peer-key {ourKey.Trim()}");
        if (!TryResume(options.State, code, out int epoch))
        {
            return ExitCodes.Startup;
        }
        try
        {
            KeepUp(options, wg, code, epoch, cancel);
        }
        catch (IOException e)
        {
            Log.Error($"keep: {e.Message}");
            return ExitCodes.Startup;
        }
        Log.Info($"keep: stopped; {handoff.Interface} is left as it is");
        return ExitCodes.Ok;
    }

    /// <summary>Rounds until the stop signal: punch and hand over (unless a live path is there
    /// at start), watch, and when the path goes stale, say why and punch again.
    /// <para>Both sides move to the next round's token after every round the reflector paired,
    /// and only then: a pairing uses its token up at the reflector (a third mapping is refused)
    /// and happens to both sides at once, so they stay in step even when the punch that follows
    /// worked for one side and not the other. A round that never paired (no peer within --wait,
    /// no reflector) is tried again under the same token.</para></summary>
    private void KeepUp(KeepOptions options, string wg, string code, int epoch, CancellationToken cancel)
    {
        WireGuardHandoff handoff = options.Connect.WireGuard!;
        ConnectOptions connect = options.Connect;
        bool punch = !LiveAtStart(wg, handoff);
        TimeSpan pause = s_retryPause;
        while (!cancel.IsCancellationRequested)
        {
            if (punch)
            {
                Round round = ConnectOnce(connect, code, epoch, wg, null, cancel);
                if (cancel.IsCancellationRequested)
                {
                    return;
                }
                if (round.Paired)
                {
                    epoch++;
                    SaveState(options.State, code, epoch);
                }
                // wg holds the port of the first round (--port): later rounds punch from any port.
                connect = connect with { LocalPort = 0 };
                if (round.Status != ExitCodes.Ok || round.HandedPeer is not { } peer)
                {
                    Log.Warning(round.Paired
                        ? $"keep: round {epoch} found no path; pairing again as round {epoch + 1} in {pause.TotalSeconds:0} s"
                        : $"keep: round {epoch + 1} did not pair; trying it again in {pause.TotalSeconds:0} s");
                    cancel.WaitHandle.WaitOne(pause);
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, s_retryPauseMax.Ticks));
                    continue;
                }
                pause = s_retryPause;
                Log.Notice(string.Create(CultureInfo.InvariantCulture,
                    $"keep: path of round {epoch}: {handoff.Interface} listens on port {round.HandedPort}, peer endpoint {Endpoints.Format(peer)}; " +
                    $"stale after {options.Stale.TotalSeconds:0} s without rx or {WireGuardStaleness.RejectAfterTime.TotalSeconds:0} s without a handshake"));
            }
            punch = true;
            if (Watch(wg, handoff, options, cancel) is not { } why)
            {
                return;
            }
            Log.Warning($"keep: path of round {epoch} is stale: {why}");
            Silence(wg, handoff);
            Log.Notice($"keep: re-punching, round {epoch + 1}");
        }
    }

    /// <summary>The round to start from: --state's, else 0. False (logged) when the state file
    /// cannot be read or written: that fails now, not after the first pairing.</summary>
    private static bool TryResume(KeepState? state, string code, out int epoch)
    {
        epoch = 0;
        if (state is null)
        {
            return true;
        }
        try
        {
            epoch = state.Read(code, out string note);
            Log.Info($"keep: {note}");
            state.Write(code, epoch);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Error($"--state: {e.Message}");
            return false;
        }
    }

    /// <summary>True (logged) when the interface already has a live path to the peer, which keep
    /// then watches first (<see cref="WireGuardStaleness.LiveAtStart"/>).</summary>
    private static bool LiveAtStart(string wg, WireGuardHandoff handoff)
    {
        if (WireGuardShow.Sample(wg, handoff.Interface, handoff.PeerKey, TimeSpan.Zero, out _) is not { } sample)
        {
            return false; // the peer is not on the interface yet: the first punch adds it
        }
        string? endpoint = WireGuardShow.Endpoint(wg, handoff.Interface, handoff.PeerKey);
        if (!WireGuardStaleness.LiveAtStart(sample, endpoint is not null))
        {
            return false;
        }
        Log.Notice(string.Create(CultureInfo.InvariantCulture,
            $"keep: {handoff.Interface} already has a live path to the peer (endpoint {endpoint}, handshake {sample.Now - sample.LatestHandshake} s ago): watching it before punching"));
        return true;
    }

    /// <summary>Records the round; a failure is logged and keep goes on (the path matters more
    /// now than the next restart: that one would start out of step).</summary>
    private static void SaveState(KeepState? state, string code, int epoch)
    {
        try
        {
            state?.Write(code, epoch);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Error($"--state: {e.Message}; a restart will not resume at round {epoch + 1}");
        }
    }

    /// <summary>Samples the peer every <see cref="KeepOptions.SampleInterval"/> until the path is
    /// stale (the reason) or the stop signal comes (null); an IOException when wg cannot tell.</summary>
    private static string? Watch(string wg, WireGuardHandoff handoff, KeepOptions options, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var samples = new List<PeerSample>();
        while (true)
        {
            if (WireGuardShow.Sample(wg, handoff.Interface, handoff.PeerKey, clock.Elapsed, out string? problem) is not { } sample)
            {
                throw new IOException(problem);
            }
            samples.Add(sample);
            WireGuardStaleness.Compact(samples);
            if (WireGuardStaleness.Why(samples, options.Stale) is { } why)
            {
                return why;
            }
            if (cancel.WaitHandle.WaitOne(options.SampleInterval))
            {
                return null;
            }
        }
    }

    /// <summary>A stale path may be dead one way only: the peer, still hearing our keepalives,
    /// would never come to the reflector. Moving WireGuard to a random port (listen-port 0) sends
    /// them from a mapping the peer's NAT does not know, so the peer's rx stalls as well and it
    /// re-punches within its --stale; the punch then gives wg the new port.</summary>
    private static void Silence(string wg, WireGuardHandoff handoff)
    {
        string[] arguments = { "set", handoff.Interface, "listen-port", "0" };
        Log.Info($"keep: {wg} {string.Join(' ', arguments)} (off the stale path, so that the peer notices too)");
        int status = WireGuardHandoff.Run(wg, arguments);
        if (status != 0)
        {
            Log.Error($"keep: wg exited with status {status}");
        }
    }
}
