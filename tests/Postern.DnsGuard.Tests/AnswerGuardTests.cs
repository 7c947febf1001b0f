using Postern.Interop;
using Postern.Netfilter;
using Postern.Wire;

namespace Postern.DnsGuard.Tests;

/// <summary>The guard's policy on synthetic datagrams and a clock the test moves: what is
/// accepted at once, held, dropped and released, and why.</summary>
public sealed class AnswerGuardTests
{
    private const byte Accept = Interop.Interop.NF_ACCEPT;
    private const byte Drop = Interop.Interop.NF_DROP;
    private const int RealTtl = 63;
    private const int RealRttMs = 20;

    private static GuardDriver Learned(DnsGuardOptions? options = null, int ipVersion = 4, bool opt = false)
    {
        var driver = new GuardDriver(options);
        driver.Learn(RealTtl, RealRttMs, ipVersion: ipVersion, opt: opt);
        Assert.Equal(ServerProfile.SamplesToLearn, driver.Guard.Counters.Released(ReleaseReason.Window));
        return driver;
    }

    [Fact]
    public void A_profile_matching_answer_is_accepted_at_once_and_nothing_is_held()
    {
        GuardDriver driver = Learned();
        driver.Feed(GuardPackets.Query("www.example.test", 7, opt: false));
        driver.Now += 18_000;
        Assert.Equal(Accept, driver.Feed(GuardPackets.Answer("www.example.test", 7, RealTtl + 1, opt: false, "192.0.2.80")));
        Assert.Equal(1, driver.Guard.Counters.Accepted);
        Assert.Equal(-1, driver.Guard.MillisecondsUntilDue());
        Assert.Empty(driver.TakeDue(releaseAll: true));
    }

    [Theory]
    [InlineData(4, 17, false, false, HoldReason.Ttl)]
    [InlineData(6, 17, false, false, HoldReason.Ttl)]
    [InlineData(4, RealTtl, true, false, HoldReason.Opt)]
    [InlineData(4, RealTtl, false, false, HoldReason.Rtt)]
    [InlineData(6, RealTtl, true, true, HoldReason.Rtt)]
    public void A_forged_answer_is_held_and_the_real_one_wins(int ipVersion, int forgedTtl, bool queryOpt, bool forgedOpt, HoldReason why)
    {
        GuardDriver driver = Learned(ipVersion: ipVersion, opt: queryOpt);
        string real = ipVersion == 4 ? "192.0.2.80" : "2001:db8::80";
        string fake = ipVersion == 4 ? "203.0.113.66" : "2001:db8:dead::66";
        driver.Feed(GuardPackets.Query("blocked.example.test", 9, queryOpt, ipVersion));
        driver.Now += 300;
        Assert.Equal(NfqueueLoop.Held, driver.Feed(GuardPackets.Answer("blocked.example.test", 9, forgedTtl, forgedOpt, fake, ipVersion)));
        uint forged = driver.LastId;
        Assert.Equal(1, driver.Guard.Counters.Held(why));
        Assert.True(driver.Guard.MillisecondsUntilDue() > RealRttMs, "the window lasts past the server's usual RTT");

        driver.Now += RealRttMs * 1000L;
        Assert.Equal(Accept, driver.Feed(GuardPackets.Answer("blocked.example.test", 9, RealTtl, queryOpt, real, ipVersion)));
        Assert.Equal(new[] { (forged, Drop) }, driver.TakeDue());
        Assert.Equal(1, driver.Guard.Counters.Won);
        Assert.Equal(RealRttMs * 1000L, driver.Guard.Counters.WonWaitMicroseconds);
        Assert.Equal(1, driver.Guard.Counters.Dropped(DropReason.Superseded));
        Assert.Equal(0, driver.Guard.HeldNow);
    }

    [Fact]
    public void A_held_answer_with_no_rival_is_released_when_its_window_ends()
    {
        GuardDriver driver = Learned();
        driver.Feed(GuardPackets.Query("lonely.example.test", 11, opt: false));
        driver.Now += 200;
        Assert.Equal(NfqueueLoop.Held, driver.Feed(GuardPackets.Answer("lonely.example.test", 11, 5, opt: false, "192.0.2.81")));
        uint held = driver.LastId;
        int wait = driver.Guard.MillisecondsUntilDue();
        Assert.InRange(wait, AnswerGuard.MinHoldMs, AnswerGuard.MaxHoldMs);
        driver.Now += (wait - 1) * 1000L;
        Assert.Empty(driver.TakeDue());
        driver.Now += 2000;
        Assert.Equal(new[] { (held, Accept) }, driver.TakeDue());
        Assert.Equal(ServerProfile.SamplesToLearn + 1, driver.Guard.Counters.Released(ReleaseReason.Window));
        // The query is answered now: a late answer passes.
        Assert.Equal(Accept, driver.Feed(GuardPackets.Answer("lonely.example.test", 11, RealTtl, opt: false, "192.0.2.81")));
        Assert.Equal(1, driver.Guard.Counters.Passed(PassReason.Late));
    }

    [Fact]
    public void A_forged_answer_released_for_want_of_a_rival_does_not_lower_the_rtt_floor()
    {
        GuardDriver driver = Learned();
        // The real answer never comes (or comes after the window): the forged one is released.
        driver.Feed(GuardPackets.Query("late.example.test", 31, opt: false));
        driver.Now += 200;
        Assert.Equal(NfqueueLoop.Held, driver.Feed(GuardPackets.Answer("late.example.test", 31, RealTtl, opt: false, "198.51.100.66")));
        driver.Now += AnswerGuard.MaxHoldMs * 1000L;
        Assert.Single(driver.TakeDue());
        // The next fast forgery with the right TTL is still caught by its round trip.
        driver.Feed(GuardPackets.Query("next.example.test", 32, opt: false));
        driver.Now += 200;
        Assert.Equal(NfqueueLoop.Held, driver.Feed(GuardPackets.Answer("next.example.test", 32, RealTtl, opt: false, "198.51.100.66")));
        Assert.Equal(2, driver.Guard.Counters.Held(HoldReason.Rtt));
    }

    [Fact]
    public void A_server_on_the_lan_is_not_judged_by_microseconds()
    {
        var driver = new GuardDriver();
        driver.LearnMicroseconds(RealTtl, 800);
        // Under half the 0.8 ms floor, but only by 0.45 ms: a busy LAN server's jitter, no sign of a forgery.
        driver.Feed(GuardPackets.Query("lan.example.test", 41, opt: false));
        driver.Now += 350;
        Assert.Equal(Interop.Interop.NF_ACCEPT, driver.Feed(GuardPackets.Answer("lan.example.test", 41, RealTtl, opt: false, "192.0.2.80")));
        // Far below a remote server's floor, it is held.
        var remote = new GuardDriver();
        remote.LearnMicroseconds(RealTtl, 8000);
        remote.Feed(GuardPackets.Query("far.example.test", 42, opt: false));
        remote.Now += 350;
        Assert.Equal(NfqueueLoop.Held, remote.Feed(GuardPackets.Answer("far.example.test", 42, RealTtl, opt: false, "192.0.2.80")));
    }

    [Fact]
    public void Every_held_answer_is_released_on_stop()
    {
        GuardDriver driver = Learned();
        var held = new List<uint>();
        for (ushort id = 1; id <= 10; id++)
        {
            driver.Feed(GuardPackets.Query($"n{id}.example.test", id, opt: false));
            Assert.Equal(NfqueueLoop.Held, driver.Feed(GuardPackets.Answer($"n{id}.example.test", id, 1, opt: false, "192.0.2.80")));
            held.Add(driver.LastId);
        }
        List<(uint Id, byte Verdict)> released = driver.TakeDue(releaseAll: true);
        Assert.Equal(held.OrderBy(i => i), released.Select(r => r.Id).OrderBy(i => i));
        Assert.All(released, r => Assert.Equal(Accept, r.Verdict));
        Assert.Equal(10, driver.Guard.Counters.Released(ReleaseReason.Stop));
        Assert.Equal(-1, driver.Guard.MillisecondsUntilDue());
    }

    [Fact]
    public void A_listed_address_is_dropped_unless_its_name_is_allowed()
    {
        var options = new DnsGuardOptions
        {
            Bogus = new BogusList(new[] { Prefix("203.0.113.0/24"), Prefix("2001::/32") }),
            AllowDomains = new DomainSet(new[] { "nat.example.test" }),
        };
        GuardDriver driver = Learned(options);
        driver.Feed(GuardPackets.Query("blocked.example.test", 21, opt: false));
        Assert.Equal(Drop, driver.Feed(GuardPackets.Answer("blocked.example.test", 21, RealTtl, opt: false, "203.0.113.9")));
        driver.Feed(GuardPackets.Query("host.nat.example.test", 22, opt: false, type: DnsType.AAAA));
        driver.Now += 20_000;
        byte[] allowed = GuardPackets.Wrap(4, GuardPackets.Message("host.nat.example.test", 22, true, false, DnsType.AAAA,
            new[] { System.Net.IPAddress.Parse("2001:0:5ef5:79fb::1").GetAddressBytes() }), toServer: false, RealTtl);
        Assert.Equal(Accept, driver.Feed(allowed));
        Assert.Equal(1, driver.Guard.Counters.Dropped(DropReason.Bogus));
        Assert.Equal(1, driver.Guard.Counters.AllowedListed);
    }

    [Fact]
    public void Answers_from_servers_outside_the_list_pass_untouched()
    {
        GuardDriver driver = new(new DnsGuardOptions { Servers = new[] { Prefix("198.51.100.53/32") } });
        driver.Feed(GuardPackets.Query("x.example.test", 5, opt: false));
        Assert.Equal(Accept, driver.Feed(GuardPackets.Answer("x.example.test", 5, 3, opt: false, "192.0.2.1", server: "198.51.100.99")));
        Assert.Equal(1, driver.Guard.Counters.Passed(PassReason.OtherServer));
    }

    [Fact]
    public void An_answer_to_no_query_seen_or_another_question_passes()
    {
        GuardDriver driver = Learned();
        Assert.Equal(Accept, driver.Feed(GuardPackets.Answer("never.example.test", 77, 3, opt: false, "192.0.2.1")));
        driver.Feed(GuardPackets.Query("asked.example.test", 78, opt: false));
        Assert.Equal(Accept, driver.Feed(GuardPackets.Answer("other.example.test", 78, 3, opt: false, "192.0.2.1")));
        Assert.Equal(2, driver.Guard.Counters.Passed(PassReason.NoQuery));
    }

    [Fact]
    public void Truncated_and_fuzzed_packets_pass_or_are_judged_without_a_throw_and_nothing_stays_held()
    {
        GuardDriver driver = Learned(new DnsGuardOptions { Bogus = new BogusList(new[] { Prefix("203.0.113.0/24") }) });
        var random = new Random(13);
        byte[] query = GuardPackets.Query("fuzz.example.test", 99, opt: true);
        byte[] answer = GuardPackets.Answer("fuzz.example.test", 99, RealTtl, opt: true, "203.0.113.5");
        int held = 0;
        GuardCounters c = driver.Guard.Counters;
        long before = c.Queries + c.QueriesUnreadable + c.Answers + c.Unreadable + c.Fragments;
        for (int i = 0; i < 20000; i++)
        {
            byte[] source = i % 3 == 0 ? query : answer;
            byte[] packet = i % 2 == 0 ? source.AsSpan(0, random.Next(source.Length)).ToArray() : (byte[])source.Clone();
            for (int flips = random.Next(4); flips > 0 && packet.Length > 0; flips--)
            {
                packet[random.Next(packet.Length)] = (byte)random.Next(256);
            }
            byte verdict = driver.Feed(packet);
            Assert.True(verdict is Accept or Drop or NfqueueLoop.Held, $"verdict {verdict}");
            held += verdict == NfqueueLoop.Held ? 1 : 0;
            driver.Now += 50;
        }
        driver.TakeDue(releaseAll: true);
        Assert.Equal(0, driver.Guard.HeldNow);
        Assert.Equal(before + 20000, c.Queries + c.QueriesUnreadable + c.Answers + c.Unreadable + c.Fragments);
        long passed = Enum.GetValues<PassReason>().Sum(c.Passed);
        Assert.Equal(c.Answers, c.Accepted + c.Won + Enum.GetValues<HoldReason>().Where(r => r != HoldReason.None).Sum(c.Held) + passed + c.Dropped(DropReason.Bogus));
        Assert.True(driver.Guard.Counters.Passed(PassReason.Unparsed) > 1000);
        Assert.True(driver.Guard.Counters.Dropped(DropReason.Bogus) > 0);
    }

    [Fact]
    public void Every_queued_packet_is_counted_once_by_its_direction_whatever_it_carries()
    {
        GuardDriver driver = new();
        GuardCounters counters = driver.Guard.Counters;
        // From port 53 with QR clear (a mutated answer): an answer that is unparsed, not a query.
        byte[] notAResponse = GuardPackets.Wrap(4, GuardPackets.Message("q.example.test", 1, response: false, opt: false, DnsType.A, Array.Empty<byte[]>()),
            toServer: false, ttl: 60);
        Assert.Equal(Accept, driver.Feed(notAResponse));
        Assert.Equal((1L, 1L, 0L), (counters.Answers, counters.Passed(PassReason.Unparsed), counters.Queries));
        // To port 53 with QR set, and to port 53 with no DNS header: no readable query.
        byte[] responseToServer = GuardPackets.Wrap(4, GuardPackets.Message("q.example.test", 2, response: true, opt: false, DnsType.A, Array.Empty<byte[]>()),
            toServer: true, ttl: 64);
        Assert.Equal(Accept, driver.Feed(responseToServer));
        Assert.Equal(Accept, driver.Feed(GuardPackets.Wrap(4, new byte[] { 1, 2, 3 }, toServer: true, ttl: 64)));
        Assert.Equal((2L, 0L, 1L), (counters.QueriesUnreadable, counters.Queries, counters.Answers));
        // An IP header that does not read: neither direction.
        byte[] broken = GuardPackets.Query("q.example.test", 3, opt: false);
        broken[0] = 0x35;
        Assert.Equal(Accept, driver.Feed(broken));
        Assert.Equal(1, counters.Unreadable);
    }

    [Fact]
    public void Between_two_servers_on_port_53_the_qr_bit_tells_the_query_from_the_answer()
    {
        GuardDriver driver = new();
        byte[] query = GuardPackets.Query("s.example.test", 7, opt: false);
        byte[] answer = GuardPackets.Answer("s.example.test", 7, 60, opt: false, "192.0.2.1");
        // An old resolver's query-source port 53: both datagrams have 53 at both ends.
        query[20] = 0;
        query[21] = 53;
        answer[22] = 0;
        answer[23] = 53;
        driver.Feed(query);
        Assert.Equal(1, driver.Guard.Counters.Queries);
        Assert.Equal(NfqueueLoop.Held, driver.Feed(answer));
        Assert.Equal((1L, 1L), (driver.Guard.Counters.Answers, driver.Guard.Counters.Held(HoldReason.Unlearned)));
    }

    /// <summary>Asks <paramref name="name"/> and answers it after <paramref name="rttMicroseconds"/>
    /// with the real TTL; the verdict, and any held answer released by the end of its window.</summary>
    private static byte AskAndAnswer(GuardDriver driver, string name, ushort id, long rttMicroseconds)
    {
        driver.Feed(GuardPackets.Query(name, id, opt: false));
        driver.Now += rttMicroseconds;
        byte verdict = driver.Feed(GuardPackets.Answer(name, id, RealTtl, opt: false, "192.0.2.80"));
        driver.Now += AnswerGuard.MaxHoldMs * 1000L + 1000;
        driver.TakeDue();
        return verdict;
    }

    /// <summary>A profile whose floor was learned at 20 ms from accepted answers (a loaded or far
    /// path), then the server answering in 1 ms.</summary>
    private static GuardDriver LearnedSlowThenFast()
    {
        GuardDriver driver = Learned();
        for (ushort i = 0; i < 2 * ServerProfile.EpochLength; i++)
        {
            Assert.Equal(Accept, AskAndAnswer(driver, $"slow{i}.example.test", (ushort)(1000 + i), RealRttMs * 1000L));
        }
        return driver;
    }

    [Fact]
    public void When_the_server_gets_faster_than_its_floor_the_floor_comes_down_after_a_run_of_unrivalled_answers()
    {
        GuardDriver driver = LearnedSlowThenFast();
        for (ushort i = 0; i < ServerProfile.UnrivalledToRelearn; i++)
        {
            Assert.Equal(NfqueueLoop.Held, AskAndAnswer(driver, $"fast{i}.example.test", (ushort)(5000 + i), 1000));
        }
        Assert.Equal(ServerProfile.UnrivalledToRelearn, driver.Guard.Counters.Held(HoldReason.Rtt));
        // The last ones still wait out their late window (a real answer could still come).
        Assert.Equal(0, driver.Guard.Counters.RttRelearned);
        driver.Now += ServerProfile.LateWindowMicroseconds;
        // Then a 1 ms answer is the server's usual: accepted at once, no latency added.
        Assert.Equal(Accept, AskAndAnswer(driver, "fast-after.example.test", 6000, 1000));
        Assert.Equal(1, driver.Guard.Counters.RttRelearned);
        Assert.Contains("rtt floor 1 ms", driver.Guard.DescribeProfiles()[0]);
    }

    [Fact]
    public void Early_answers_that_race_a_real_one_never_bring_the_floor_down()
    {
        GuardDriver driver = LearnedSlowThenFast();
        // An injector answering early for some names: each forgery is beaten by the real answer
        // (or the real one comes after the window), which starts the streak over every time.
        for (int round = 0; round < 4; round++)
        {
            for (ushort i = 0; i < ServerProfile.UnrivalledToRelearn - 1; i++)
            {
                AskAndAnswer(driver, $"early{round}x{i}.example.test", (ushort)(7000 + (round * 100) + i), 1000);
            }
            ushort id = (ushort)(8000 + round);
            string name = $"raced{round}.example.test";
            driver.Feed(GuardPackets.Query(name, id, opt: false));
            driver.Now += 1000;
            Assert.Equal(NfqueueLoop.Held, driver.Feed(GuardPackets.Answer(name, id, RealTtl, opt: false, "203.0.113.66")));
            driver.Now += RealRttMs * 1000L;
            if (round % 2 == 0)
            {
                Assert.Equal(Accept, driver.Feed(GuardPackets.Answer(name, id, RealTtl, opt: false, "192.0.2.80")));
                driver.TakeDue();
            }
            else
            {
                // The real answer after the window: passed late, and still evidence of a race.
                driver.Now += AnswerGuard.MaxHoldMs * 1000L + 1000;
                driver.TakeDue();
                Assert.Equal(Accept, driver.Feed(GuardPackets.Answer(name, id, RealTtl, opt: false, "192.0.2.80")));
            }
        }
        driver.Now += ServerProfile.LateWindowMicroseconds;
        Assert.Equal(NfqueueLoop.Held, AskAndAnswer(driver, "still-early.example.test", 9000, 1000));
        Assert.Equal(0, driver.Guard.Counters.RttRelearned);
        Assert.Equal(2, driver.Guard.Counters.Passed(PassReason.Late));
    }

    [Fact]
    public void A_hold_table_that_is_full_fails_open()
    {
        GuardDriver driver = new(new DnsGuardOptions { MaxHeld = 2 });
        for (ushort id = 1; id <= 3; id++)
        {
            driver.Feed(GuardPackets.Query($"h{id}.example.test", id, opt: false));
        }
        Assert.Equal(NfqueueLoop.Held, driver.Feed(GuardPackets.Answer("h1.example.test", 1, 60, false, "192.0.2.1")));
        Assert.Equal(NfqueueLoop.Held, driver.Feed(GuardPackets.Answer("h2.example.test", 2, 60, false, "192.0.2.1")));
        Assert.Equal(Accept, driver.Feed(GuardPackets.Answer("h3.example.test", 3, 60, false, "192.0.2.1")));
        Assert.Equal(1, driver.Guard.Counters.Passed(PassReason.HoldFull));
    }

    [Fact]
    public void The_profile_report_names_each_server()
    {
        GuardDriver driver = Learned();
        string line = Assert.Single(driver.Guard.DescribeProfiles());
        Assert.Contains("server 198.51.100.53: learned from 3 answers, ttl 63", line, StringComparison.Ordinal);
    }

    private static AddressPrefix Prefix(string text)
    {
        Assert.True(AddressPrefix.TryParse(text, out AddressPrefix? prefix));
        return prefix!;
    }
}
