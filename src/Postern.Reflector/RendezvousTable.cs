using System.Buffers.Binary;
using System.Diagnostics;

namespace Postern.Reflector;

/// <summary>The reflector's rendezvous state (docs/punch-protocol.md): a fixed number of entries,
/// each a token with one waiting peer or two paired ones, living <see cref="Lifetime"/> after the
/// last request that named it. Everything is allocated at construction; a request allocates
/// nothing. One lock: rendezvous requests come about once a second per peer, far from the rate at
/// which a lock would matter. Safe to call from every worker thread.</summary>
public sealed class RendezvousTable
{
    public const int DefaultCapacity = 4096;
    public const int MinCapacity = 1;
    public const int MaxCapacity = 1 << 20;

    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>A full table looks for expired entries at most this often (the incremental sweep
    /// finds them otherwise), so that a flood of new tokens cannot make every request scan it.</summary>
    private static readonly TimeSpan FullSweepInterval = TimeSpan.FromMilliseconds(100);

    private const int SweepPerRequest = 2;

    private readonly object _gate = new();
    private readonly Entry[] _entries;
    private readonly Dictionary<TokenKey, int> _index;
    private readonly int[] _free;
    private readonly long _lifetime;
    private readonly long _fullSweepInterval;
    private int _freeCount;
    private int _sweep;
    private long _lastFullSweep;
    private long _registered;
    private long _paired;
    private long _refused;
    private long _tableFull;
    private long _expired;

    private struct Entry
    {
        public bool InUse;
        public bool IsPaired;
        public TokenKey Token;
        public long LastSeen;
        public RendezvousPeer First;
        public RendezvousPeer Second;
    }

    /// <summary>The token as two words, hashed with the per-process seed of <see cref="HashCode"/>
    /// so that chosen tokens cannot pile into one bucket.</summary>
    private readonly record struct TokenKey(ulong High, ulong Low)
    {
        public override int GetHashCode() => HashCode.Combine(High, Low);
    }

    /// <param name="frequency">Ticks per second of the timestamps given to <see cref="Visit"/>
    /// (<see cref="Stopwatch.Frequency"/> unless a test says otherwise).</param>
    public RendezvousTable(int capacity, long frequency = 0)
    {
        if (capacity is < MinCapacity or > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), $"between {MinCapacity} and {MaxCapacity} entries");
        }
        if (frequency == 0)
        {
            frequency = Stopwatch.Frequency;
        }
        Capacity = capacity;
        _entries = new Entry[capacity];
        _index = new Dictionary<TokenKey, int>(capacity);
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }
        _freeCount = capacity;
        _lifetime = (long)(Lifetime.TotalSeconds * frequency);
        _fullSweepInterval = (long)(FullSweepInterval.TotalSeconds * frequency);
        _lastFullSweep = long.MinValue / 2;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return Capacity - _freeCount;
            }
        }
    }

    public long Registered => Volatile.Read(ref _registered);
    public long Paired => Volatile.Read(ref _paired);
    public long Refused => Volatile.Read(ref _refused);
    public long TableFull => Volatile.Read(ref _tableFull);

    /// <summary>Entries that lived out their <see cref="Lifetime"/>, counted when they are removed:
    /// by the next request that names them, by the sweep that follows every request, or when a full
    /// table looks for room.</summary>
    public long Expired => Volatile.Read(ref _expired);

    /// <summary>Applies one request with <paramref name="token"/> (16 bytes) from
    /// <paramref name="requester"/> at <paramref name="now"/>; for <see cref="RendezvousResult.Paired"/>
    /// and <see cref="RendezvousResult.PairedAgain"/>, <paramref name="other"/> is the other side
    /// (for Paired, the first peer, whom the indication goes to).</summary>
    public RendezvousResult Visit(ReadOnlySpan<byte> token, in RendezvousPeer requester, long now, out RendezvousPeer other)
    {
        other = default;
        var key = new TokenKey(BinaryPrimitives.ReadUInt64BigEndian(token), BinaryPrimitives.ReadUInt64BigEndian(token.Slice(8)));
        lock (_gate)
        {
            Sweep(now, SweepPerRequest);
            if (_index.TryGetValue(key, out int slot))
            {
                ref Entry entry = ref _entries[slot];
                if (IsExpired(in entry, now))
                {
                    Remove(slot);
                    _expired++;
                }
                else
                {
                    return Update(ref entry, in requester, now, out other);
                }
            }
            if (_freeCount == 0 && now - _lastFullSweep >= _fullSweepInterval)
            {
                _lastFullSweep = now;
                Sweep(now, Capacity);
            }
            if (_freeCount == 0)
            {
                _tableFull++;
                return RendezvousResult.TableFull;
            }
            slot = _free[--_freeCount];
            _entries[slot] = new Entry { InUse = true, Token = key, LastSeen = now, First = requester };
            _index.Add(key, slot);
            _registered++;
            return RendezvousResult.Registered;
        }
    }

    private RendezvousResult Update(ref Entry entry, in RendezvousPeer requester, long now, out RendezvousPeer other)
    {
        other = default;
        if (entry.First.Mapping == requester.Mapping)
        {
            entry.First = requester;
            entry.LastSeen = now;
            if (!entry.IsPaired)
            {
                return RendezvousResult.Waiting;
            }
            other = entry.Second;
            return RendezvousResult.PairedAgain;
        }
        if (!entry.IsPaired)
        {
            entry.Second = requester;
            entry.IsPaired = true;
            entry.LastSeen = now;
            other = entry.First;
            _paired++;
            return RendezvousResult.Paired;
        }
        if (entry.Second.Mapping == requester.Mapping)
        {
            entry.Second = requester;
            entry.LastSeen = now;
            other = entry.First;
            return RendezvousResult.PairedAgain;
        }
        // A third mapping neither refreshes the entry nor learns anything about the two.
        _refused++;
        return RendezvousResult.Refused;
    }

    private bool IsExpired(in Entry entry, long now) => now - entry.LastSeen >= _lifetime;

    /// <summary>Looks at <paramref name="count"/> slots from where the last sweep stopped and removes
    /// the expired ones.</summary>
    private void Sweep(long now, int count)
    {
        for (int i = 0; i < count && i < Capacity; i++)
        {
            int slot = _sweep;
            _sweep = _sweep + 1 == Capacity ? 0 : _sweep + 1;
            if (_entries[slot].InUse && IsExpired(in _entries[slot], now))
            {
                Remove(slot);
                _expired++;
            }
        }
    }

    private void Remove(int slot)
    {
        _index.Remove(_entries[slot].Token);
        _entries[slot] = default;
        _free[_freeCount++] = slot;
    }
}
