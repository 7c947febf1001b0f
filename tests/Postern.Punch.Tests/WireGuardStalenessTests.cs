namespace Postern.Punch.Tests;

/// <summary>keep's staleness policy over made-up samples: rx that stops growing, handshakes that
/// grow old, and the thinning that keeps a long watch at three samples.</summary>
public class WireGuardStalenessTests
{
    private const long HandedOff = 1_800_000_000;
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(9);

    /// <summary>One sample a second from the hand-off, rx as given, the handshake at the hand-off.</summary>
    private static List<PeerSample> Samples(params long[] rx) =>
        rx.Select((bytes, i) => new PeerSample(TimeSpan.FromSeconds(i), bytes, HandedOff, HandedOff + i)).ToList();

    [Fact]
    public void Rx_that_grows_every_keepalive_is_alive()
    {
        // A keepalive (32 bytes) every 3 s: never 9 s without growth.
        long[] rx = Enumerable.Range(0, 60).Select(i => 92L + 32 * (i / 3)).ToArray();
        Assert.Null(WireGuardStaleness.Why(Samples(rx), Stale));
    }

    [Fact]
    public void Rx_still_for_stale_seconds_is_stale_and_says_so()
    {
        List<PeerSample> samples = Samples(92, 124, 156, 156, 156, 156, 156, 156, 156, 156, 156);
        Assert.Null(WireGuardStaleness.Why(samples.Take(11).ToList(), Stale)); // 8 s still (from 2 to 10)
        samples.Add(new PeerSample(TimeSpan.FromSeconds(11), 156, HandedOff, HandedOff + 11));
        Assert.Equal("nothing received from the peer for 9 s (rx stayed at 156 bytes; --stale 9)", WireGuardStaleness.Why(samples, Stale));
    }

    [Fact]
    public void A_path_that_never_received_is_stale_after_stale_seconds_from_the_hand_off()
    {
        Assert.Null(WireGuardStaleness.Why(Samples(0, 0, 0, 0, 0, 0, 0, 0, 0), Stale));
        Assert.StartsWith("nothing received from the peer for 9 s", WireGuardStaleness.Why(Samples(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), Stale));
    }

    [Fact]
    public void A_counter_that_goes_down_counts_as_a_change()
    {
        // wg's peer removed and added again starts from 0: that is a new run, not 9 s of silence.
        List<PeerSample> samples = Samples(500, 500, 500, 500, 500, 500, 500, 500, 0, 0);
        Assert.Null(WireGuardStaleness.Why(samples, Stale));
    }

    [Fact]
    public void A_handshake_older_than_reject_after_time_is_stale_even_with_rx()
    {
        // Handshake initiations arrive (rx grows) but none completes after the one at the hand-off.
        var samples = new List<PeerSample>();
        for (int i = 0; i <= 181; i++)
        {
            samples.Add(new PeerSample(TimeSpan.FromSeconds(i), 1000 + 148 * i, HandedOff, HandedOff + i));
        }
        Assert.Equal("the latest handshake is 181 s old (WireGuard refuses keys after 180 s)", WireGuardStaleness.Why(samples, Stale));
        Assert.Null(WireGuardStaleness.Why(samples.Take(181).ToList(), Stale));
    }

    [Fact]
    public void A_handshake_from_before_the_hand_off_counts_from_the_hand_off()
    {
        // Re-punched after a long outage: the session's handshake is 10 minutes old, but the new
        // path gets its 180 s.
        long old = HandedOff - 600;
        var samples = new List<PeerSample>();
        for (int i = 0; i <= 181; i++)
        {
            samples.Add(new PeerSample(TimeSpan.FromSeconds(i), 92 + 32 * i, old, HandedOff + i));
        }
        Assert.Null(WireGuardStaleness.Why(samples.Take(2).ToList(), Stale));
        Assert.Null(WireGuardStaleness.Why(samples.Take(181).ToList(), Stale));
        Assert.Equal("no handshake with the peer in the 181 s since the hand-off (WireGuard refuses keys after 180 s)",
            WireGuardStaleness.Why(samples, Stale));
    }

    [Fact]
    public void Fresh_handshakes_keep_a_path_alive_past_reject_after_time()
    {
        var samples = new List<PeerSample>();
        for (int i = 0; i <= 400; i++)
        {
            long handshake = HandedOff + 120 * (i / 120);
            samples.Add(new PeerSample(TimeSpan.FromSeconds(i), 92 + 32 * i, handshake, HandedOff + i));
            Assert.Null(WireGuardStaleness.Why(samples, Stale));
        }
    }

    [Fact]
    public void Compacting_keeps_three_samples_and_the_same_verdict()
    {
        var rng = new Random(7);
        var all = new List<PeerSample>();
        var compact = new List<PeerSample>();
        long rx = 0;
        for (int i = 0; i < 2000; i++)
        {
            // Bursts of growth and silences of up to 12 s.
            if (rng.Next(12) == 0)
            {
                rx += rng.Next(1, 200);
            }
            var sample = new PeerSample(TimeSpan.FromSeconds(i), rx, HandedOff + i - i % 100, HandedOff + i);
            all.Add(sample);
            compact.Add(sample);
            WireGuardStaleness.Compact(compact);
            Assert.True(compact.Count <= 3, $"{compact.Count} samples kept at {i}");
            Assert.Equal(WireGuardStaleness.Why(all, Stale), WireGuardStaleness.Why(compact, Stale));
        }
    }

    [Fact]
    public void No_samples_is_no_verdict() => Assert.Null(WireGuardStaleness.Why(Array.Empty<PeerSample>(), Stale));

    [Fact]
    public void The_sample_interval_is_a_fifth_of_stale_within_one_to_five_seconds()
    {
        ConnectOptions connect = new() { Servers = Array.Empty<ServerAddress>() };
        Assert.Equal(TimeSpan.FromSeconds(1), new KeepOptions { Connect = connect, Stale = TimeSpan.FromSeconds(3) }.SampleInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), new KeepOptions { Connect = connect, Stale = TimeSpan.FromSeconds(10) }.SampleInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), new KeepOptions { Connect = connect, Stale = TimeSpan.FromSeconds(75) }.SampleInterval);
    }
}

/// <summary>Reading one peer's numbers out of `wg show IFACE transfer` and `latest-handshakes`
/// (the text as wireguard-tools 1.0.20210914 prints it, tab-separated, one line per peer).</summary>
public class WireGuardShowTests
{
    private const string Key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    private const string Other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    [Fact]
    public void The_peer_s_line_is_found_among_several()
    {
        string transfer = $"{Other}\t5\t6\n{Key}\t4213180\t4360\n";
        Assert.True(WireGuardShow.Field(transfer, Key, 1, out long rx, out _));
        Assert.Equal(4213180, rx);
        Assert.True(WireGuardShow.Field($"{Key}\t1764598679\n", Key, 1, out long handshake, out _));
        Assert.Equal(1764598679, handshake);
    }

    [Theory]
    [InlineData("")]
    [InlineData(Other + "\t5\t6\n")]
    [InlineData(Key + "\n")]
    [InlineData(Key + "\t-1\t0\n")]
    [InlineData(Key + "\t(none)\n")]
    public void A_missing_peer_or_number_is_named(string output)
    {
        Assert.False(WireGuardShow.Field(output, Key, 1, out _, out string? problem));
        Assert.Equal($"no peer {Key} with a number in column 2", problem);
    }
}

/// <summary>keep's decisions at start: watch a live path first, and resume the round count of a
/// --state file (its own code's only).</summary>
public class KeepStartTests
{
    private const string Code = "K3F97QXA2MRTP8DW";
    private const long Now = 1_800_000_000;

    [Theory]
    [InlineData(Now - 5, true, true)]
    [InlineData(Now - 180, true, true)]
    [InlineData(Now - 181, true, false)]
    [InlineData(0, true, false)]
    [InlineData(Now - 5, false, false)]
    public void A_path_is_watched_first_with_an_endpoint_and_a_handshake_within_180_s(long handshake, bool endpoint, bool live) =>
        Assert.Equal(live, WireGuardStaleness.LiveAtStart(new PeerSample(TimeSpan.Zero, 1000, handshake, Now), endpoint));

    [Fact]
    public void A_state_line_reads_back_for_its_code_only()
    {
        string line = KeepState.Format(Code, 7);
        Assert.Matches(@"^postern-punch keep v1 token=[0-9a-f]{32} epoch=7\n$", line);
        Assert.DoesNotContain(Code, line);
        Assert.Equal(7, KeepState.Parse(line, Code));
        Assert.Null(KeepState.Parse(line, "K3F97QXA2MRTP8DX"));
        Assert.Null(KeepState.Parse(line.Replace("epoch=7", "epoch=x", StringComparison.Ordinal), Code));
        Assert.Null(KeepState.Parse("", Code));
    }

    [Fact]
    public void The_state_file_is_written_whole_and_read_back()
    {
        string directory = Directory.CreateTempSubdirectory("postern-keep-state").FullName;
        try
        {
            var state = new KeepState(Path.Combine(directory, "wg0.state"));
            Assert.Equal(0, state.Read(Code, out string note));
            Assert.Contains("starting at round 1", note);
            state.Write(Code, 3);
            state.Write(Code, 4);
            Assert.Equal(4, state.Read(Code, out note));
            Assert.EndsWith("resuming at round 5", note);
            Assert.Equal(0, state.Read("K3F97QXA2MRTP8DX", out note));
            Assert.Contains("not a keep state of this code", note);
            Assert.Equal(new[] { "wg0.state" }, Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
