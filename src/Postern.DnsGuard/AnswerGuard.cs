using System.Diagnostics;
using Postern.Hosting;
using Postern.Interop;
using Postern.Netfilter;
using Postern.Wire;

namespace Postern.DnsGuard;

/// <summary>The guard of one queue: it sees the queries go out (their time, ID, question and
/// whether they had OPT) and judges each answer. An answer that matches its server's learned
/// profile and carries no listed address is accepted at once; one with a listed address (and a
/// name that is not allowed) is dropped; any other is held (<see cref="NfqueueLoop.Held"/>) for
/// the hold-on window: a later answer to the same query (same server, client, port, ID and
/// question) that matches the profile is accepted and the held one dropped; else the held one is
/// released when the window ends. Whatever cannot be read passes. Everything runs on the queue's
/// thread; the lock is for the reporter that reads the profiles.</summary>
public sealed class AnswerGuard : IQueueBatchHandler, IHeldVerdicts
{
    /// <summary>The window for a server whose RTT is not learned yet.</summary>
    public const int DefaultHoldMs = 100;
    public const int MinHoldMs = 5;
    public const int MaxHoldMs = 2000;
    private const long WindowSlackMicroseconds = 10_000;

    private const byte Empty = 0;
    private const byte Asked = 1;
    private const byte Holding = 2;
    private const byte Answered = 3;

    private struct QueryRecord
    {
        public AddressKey Server;
        public AddressKey Client;
        public ushort Port;
        public ushort Id;
        public byte State;
        public bool HasOpt;
        public ulong Question;
        public long SentAt;
        public uint HeldId;
    }

    private struct HeldAnswer
    {
        public uint PacketId;
        public long Deadline;
        public long HeldAt;
        public bool Resolved;
        public byte Verdict;
        public int Slot;
        public AddressKey Server;
        public int Ttl;
        public long Rtt;
        public bool QueryHadOpt;
        public bool AnswerHasOpt;
        public HoldReason Reason;
    }

    private readonly DnsGuardOptions _options;
    private readonly Func<long> _clock;
    private readonly object _gate = new();
    private readonly QueryRecord[] _queries;
    private readonly int _slotMask;
    private readonly HeldAnswer[] _held;
    private int _heldCount;
    private readonly Dictionary<AddressKey, ServerProfile> _profiles;

    /// <param name="clock">Microseconds from any fixed point (tests drive it); default: the
    /// monotonic clock.</param>
    public AnswerGuard(DnsGuardOptions options, Func<long>? clock = null)
    {
        if (options.QuerySlots < 1 || (options.QuerySlots & (options.QuerySlots - 1)) != 0)
        {
            throw new ArgumentException("QuerySlots must be a power of two", nameof(options));
        }
        _options = options;
        _clock = clock ?? MonotonicMicroseconds;
        _queries = new QueryRecord[options.QuerySlots];
        _slotMask = options.QuerySlots - 1;
        _held = new HeldAnswer[options.MaxHeld];
        _profiles = new Dictionary<AddressKey, ServerProfile>(options.MaxServers + 1);
    }

    public GuardCounters Counters { get; } = new();

    /// <summary>Answers held now.</summary>
    public int HeldNow
    {
        get
        {
            lock (_gate)
            {
                return _heldCount;
            }
        }
    }

    public static long MonotonicMicroseconds() => (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));

    /// <summary>One line per server profile, for SIGUSR1.</summary>
    public IReadOnlyList<string> DescribeProfiles()
    {
        lock (_gate)
        {
            return _profiles.Values.OrderBy(p => p.Server.High).ThenBy(p => p.Server.Low).Select(p => p.Describe()).ToArray();
        }
    }

    public void Handle(ReadOnlySpan<byte> buffer, ReadOnlySpan<NfqPacket> packets, Span<byte> verdicts)
    {
        long now = _clock();
        lock (_gate)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                NfqPacket descriptor = packets[i];
                if ((uint)descriptor.PayloadOffset > (uint)buffer.Length || (uint)descriptor.PayloadLength > (uint)(buffer.Length - descriptor.PayloadOffset))
                {
                    Counters.CountUnreadable();
                    verdicts[i] = Interop.Interop.NF_ACCEPT;
                    continue;
                }
                // Judge records a hold as its very last step, so a throw before it leaves nothing
                // held, and the packet passes (fail open).
                try
                {
                    verdicts[i] = Judge(buffer.Slice(descriptor.PayloadOffset, descriptor.PayloadLength), descriptor.PacketId, now);
                }
                catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException)
                {
                    Counters.CountUnreadable();
                    verdicts[i] = Interop.Interop.NF_ACCEPT;
                }
            }
        }
    }

    private byte Judge(ReadOnlySpan<byte> packet, uint packetId, long now)
    {
        UdpPacketError error = UdpPacket.TryRead(packet, out UdpPacket udp);
        if (error != UdpPacketError.None)
        {
            // A first fragment (the rules' port match takes no other): this gateway does not
            // reassemble (no conntrack here), so no fragment holds the whole message.
            if (error == UdpPacketError.Fragment)
            {
                Counters.CountFragment();
            }
            else
            {
                Counters.CountUnreadable();
            }
            return Interop.Interop.NF_ACCEPT;
        }
        ReadOnlySpan<byte> payload = udp.Payload(packet);
        bool isResponse = payload.Length >= DnsHeader.Length && (payload[2] & 0x80) != 0;
        // The direction is the ports' (the rules queue only these two); the QR bit decides only
        // between two servers that both use port 53. Whatever a direction's datagram is, it is
        // counted there, so that every queued packet is in exactly one of the four counts.
        bool fromServer = udp.SourcePort == DnsGuardRules.DnsPort && (udp.DestinationPort != DnsGuardRules.DnsPort || isResponse);
        if (!fromServer)
        {
            if (isResponse || !RecordQuery(packet, udp, payload, now))
            {
                Counters.CountUnreadableQuery();
            }
            return Interop.Interop.NF_ACCEPT;
        }
        Counters.CountAnswer();
        if (!isResponse)
        {
            Counters.Count(PassReason.Unparsed);
            return Interop.Interop.NF_ACCEPT;
        }
        ReadOnlySpan<byte> source = udp.SourceAddress(packet);
        if (_options.Servers.Count > 0 && !InServers(source))
        {
            Counters.Count(PassReason.OtherServer);
            return Interop.Interop.NF_ACCEPT;
        }
        if (!DnsAnswer.TryRead(payload, _options.Bogus, out DnsAnswer answer))
        {
            Counters.Count(PassReason.Unparsed);
            return Interop.Interop.NF_ACCEPT;
        }
        var server = AddressKey.From(source);
        if (answer.HasListedAddress)
        {
            if (!IsAllowed(payload, answer))
            {
                Counters.Count(DropReason.Bogus);
                if (_options.Debug)
                {
                    Log.Debug($"dropped answer from {server} id {answer.Id}: listed address {answer.ListedText(payload)}");
                }
                return Interop.Interop.NF_DROP;
            }
            Counters.CountAllowedListed();
        }

        var client = AddressKey.From(udp.DestinationAddress(packet));
        int slot = Slot(server, client, udp.DestinationPort, answer.Id);
        ref QueryRecord query = ref _queries[slot];
        if (query.State == Empty || query.Server != server || query.Client != client || query.Port != udp.DestinationPort ||
            query.Id != answer.Id || query.Question != answer.Question)
        {
            Counters.Count(PassReason.NoQuery);
            return Interop.Interop.NF_ACCEPT;
        }
        if (query.State == Answered)
        {
            Counters.Count(PassReason.Late);
            if (_profiles.TryGetValue(server, out ServerProfile? answered))
            {
                answered.ResetUnrivalled();
            }
            return Interop.Interop.NF_ACCEPT;
        }

        int ttl = udp.IpVersion == 4 ? packet[8] : packet[7];
        long rtt = now - query.SentAt;
        ServerProfile profile = Profile(server, now);
        HoldReason reason = profile.Check(ttl, rtt, query.HasOpt, answer.HasOpt);

        if (query.State == Holding)
        {
            int held = FindHeld(query.HeldId);
            if (held < 0)
            {
                // Cannot happen while the record says Holding; pass rather than guess.
                query.State = Answered;
                Counters.Count(PassReason.Late);
                return Interop.Interop.NF_ACCEPT;
            }
            Resolve(ref _held[held], Interop.Interop.NF_DROP);
            Counters.Count(DropReason.Superseded);
            profile.ResetUnrivalled();
            if (reason == HoldReason.None)
            {
                Counters.CountWon(now - _held[held].HeldAt);
                profile.Learn(ttl, rtt, query.HasOpt, answer.HasOpt);
                query.State = Answered;
                if (_options.Debug)
                {
                    Log.Debug($"answer from {server} to port {query.Port} id {answer.Id} matches the profile (ttl {ttl}, rtt {rtt / 1000.0:0.###} ms): accepted, the held one dropped");
                }
                return Interop.Interop.NF_ACCEPT;
            }
            // A later answer that does not match either: the later one is preferred (an injector
            // races to be first), held for what is left of the window.
            long deadline = _held[held].Deadline;
            if (_options.Debug)
            {
                Log.Debug($"answer from {server} to port {query.Port} id {answer.Id} came after a held one ({Name(reason)}): held instead of it");
            }
            return Hold(ref query, packetId, slot, server, ttl, rtt, answer.HasOpt, reason, deadline);
        }

        if (reason == HoldReason.None)
        {
            Counters.CountAccepted();
            profile.Learn(ttl, rtt, query.HasOpt, answer.HasOpt);
            query.State = Answered;
            return Interop.Interop.NF_ACCEPT;
        }
        if (_options.Debug)
        {
            Log.Debug($"held answer from {server} to port {query.Port} id {answer.Id}: {Name(reason)} (ttl {ttl}, usual {profile.UsualTtl}; rtt {rtt / 1000.0:0.###} ms, floor {(profile.RttFloor == long.MaxValue ? -1 : profile.RttFloor / 1000.0):0.###} ms; opt {(answer.HasOpt ? 1 : 0)}, asked {(query.HasOpt ? 1 : 0)})");
        }
        return Hold(ref query, packetId, slot, server, ttl, rtt, answer.HasOpt, reason, now + WindowMicroseconds(profile));
    }

    private byte Hold(ref QueryRecord query, uint packetId, int slot, AddressKey server, int ttl, long rtt, bool answerHasOpt,
        HoldReason reason, long deadline)
    {
        if (_heldCount == _held.Length)
        {
            Counters.Count(PassReason.HoldFull);
            query.State = Answered;
            return Interop.Interop.NF_ACCEPT;
        }
        Counters.Count(reason);
        _held[_heldCount++] = new HeldAnswer
        {
            PacketId = packetId,
            Deadline = deadline,
            HeldAt = _clock(),
            Slot = slot,
            Server = server,
            Ttl = ttl,
            Rtt = rtt,
            QueryHadOpt = query.HasOpt,
            AnswerHasOpt = answerHasOpt,
            Reason = reason,
        };
        query.State = Holding;
        query.HeldId = packetId;
        return NfqueueLoop.Held;
    }

    private static void Resolve(ref HeldAnswer held, byte verdict)
    {
        held.Resolved = true;
        held.Verdict = verdict;
    }

    private int FindHeld(uint packetId)
    {
        for (int i = 0; i < _heldCount; i++)
        {
            if (_held[i].PacketId == packetId && !_held[i].Resolved)
            {
                return i;
            }
        }
        return -1;
    }

    private long WindowMicroseconds(ServerProfile profile)
    {
        if (_options.HoldMs > 0)
        {
            return _options.HoldMs * 1000L;
        }
        if (!profile.IsLearned || profile.SmoothedRtt <= 0)
        {
            return DefaultHoldMs * 1000L;
        }
        // Twice the usual round trip, and 10 ms more for a real answer that is late on a busy path.
        return Math.Clamp((2 * profile.SmoothedRtt) + WindowSlackMicroseconds, MinHoldMs * 1000L, MaxHoldMs * 1000L);
    }

    /// <summary>Keeps what the guard needs of a query; false when it is no readable query.</summary>
    private bool RecordQuery(ReadOnlySpan<byte> packet, UdpPacket udp, ReadOnlySpan<byte> payload, long now)
    {
        if (DnsQuery.TryRead(payload, out DnsQuery dns) != DnsQueryError.None)
        {
            return false;
        }
        Counters.CountQuery();
        var server = AddressKey.From(udp.DestinationAddress(packet));
        var client = AddressKey.From(udp.SourceAddress(packet));
        ulong question = DnsAnswer.QuestionHash(payload, dns.QuestionNameOffset, dns.QuestionEnd - 4 - dns.QuestionNameOffset, dns.QuestionType, dns.QuestionClass);
        int slot = Slot(server, client, udp.SourcePort, dns.Header.Id);
        ref QueryRecord query = ref _queries[slot];
        bool same = query.State != Empty && query.Server == server && query.Client == client && query.Port == udp.SourcePort &&
                    query.Id == dns.Header.Id && query.Question == question;
        if (same && query.State is Asked or Holding)
        {
            // A retransmission: its answer is still the first query's, timed from the first.
            return true;
        }
        query = new QueryRecord
        {
            Server = server,
            Client = client,
            Port = udp.SourcePort,
            Id = dns.Header.Id,
            State = Asked,
            HasOpt = dns.HasOpt,
            Question = question,
            SentAt = now,
        };
        return true;
    }

    private int Slot(AddressKey server, AddressKey client, ushort port, ushort id)
    {
        ulong hash = server.Hash() ^ (client.Hash() * 31) ^ (((ulong)port << 16 | id) * 0x9E3779B97F4A7C15UL);
        return (int)((hash ^ (hash >> 29)) & (ulong)_slotMask);
    }

    private ServerProfile Profile(AddressKey server, long now)
    {
        ServerProfile profile = FindProfile(server, now);
        long floor = profile.RttFloor;
        if (profile.Confirm(now))
        {
            Counters.CountRttRelearned();
            Log.Notice($"server {server}: {ServerProfile.UnrivalledToRelearn} answers in a row came sooner than its round-trip floor " +
                       $"({floor / 1000.0:0.###} ms), none with a rival: the floor is now {profile.RttFloor / 1000.0:0.###} ms");
        }
        return profile;
    }

    private ServerProfile FindProfile(AddressKey server, long now)
    {
        if (!_profiles.TryGetValue(server, out ServerProfile? profile))
        {
            if (_profiles.Count >= _options.MaxServers)
            {
                ServerProfile oldest = _profiles.Values.MinBy(p => p.LastUsed)!;
                _profiles.Remove(oldest.Server);
            }
            profile = new ServerProfile(server);
            _profiles.Add(server, profile);
        }
        profile.LastUsed = now;
        return profile;
    }

    private bool InServers(ReadOnlySpan<byte> address)
    {
        foreach (AddressPrefix prefix in _options.Servers)
        {
            if (prefix.AddressLength == address.Length && prefix.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    private bool IsAllowed(ReadOnlySpan<byte> payload, DnsAnswer answer)
    {
        if (_options.AllowDomains.Count == 0)
        {
            return false;
        }
        Span<char> name = stackalloc char[DnsReader.MaxNameLength * 4];
        int length = DnsReader.ReadLowerCaseName(payload, answer.QuestionNameOffset, name);
        return length >= 0 && _options.AllowDomains.Matches(name.Slice(0, length));
    }

    private static string Name(HoldReason reason) => GuardCounters.HoldNames[(int)reason];

    public int MillisecondsUntilDue()
    {
        long now = _clock();
        lock (_gate)
        {
            if (_heldCount == 0)
            {
                return -1;
            }
            long next = long.MaxValue;
            for (int i = 0; i < _heldCount; i++)
            {
                if (_held[i].Resolved)
                {
                    return 0;
                }
                next = Math.Min(next, _held[i].Deadline);
            }
            long wait = next - now;
            return wait <= 0 ? 0 : (int)Math.Min(int.MaxValue, (wait + 999) / 1000);
        }
    }

    public int TakeDue(bool releaseAll, Span<uint> ids, Span<byte> verdicts)
    {
        long now = _clock();
        int taken = 0;
        lock (_gate)
        {
            int i = 0;
            while (i < _heldCount && taken < ids.Length && taken < verdicts.Length)
            {
                ref HeldAnswer held = ref _held[i];
                if (!held.Resolved && !releaseAll && held.Deadline > now)
                {
                    i++;
                    continue;
                }
                ids[taken] = held.PacketId;
                if (held.Resolved)
                {
                    verdicts[taken] = held.Verdict;
                }
                else
                {
                    verdicts[taken] = Interop.Interop.NF_ACCEPT;
                    Release(ref held, releaseAll && held.Deadline > now ? ReleaseReason.Stop : ReleaseReason.Window, now);
                }
                taken++;
                _held[i] = _held[--_heldCount];
            }
        }
        return taken;
    }

    /// <summary>A held answer let through: with no rival in the whole window it was the only
    /// answer, so the profile learns from it (not when the daemon is stopping).</summary>
    private void Release(ref HeldAnswer held, ReleaseReason reason, long now)
    {
        Counters.Count(reason);
        ref QueryRecord query = ref _queries[held.Slot];
        if (query.State == Holding && query.HeldId == held.PacketId && query.Server == held.Server)
        {
            query.State = Answered;
        }
        if (reason == ReleaseReason.Window)
        {
            ServerProfile profile = Profile(held.Server, now);
            bool learned = profile.IsLearned;
            profile.Learn(held.Ttl, learned ? -1 : held.Rtt, held.QueryHadOpt, held.AnswerHasOpt);
            if (learned && held.Reason == HoldReason.Rtt)
            {
                profile.ReleasedEarly(now, held.Rtt);
            }
            if (_options.Debug)
            {
                Log.Debug($"released held answer from {held.Server}: no rival in the window");
            }
        }
    }
}
