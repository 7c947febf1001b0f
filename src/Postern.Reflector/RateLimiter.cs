using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;

namespace Postern.Reflector;

/// <summary>Per-source and global answer budgets as GCRA token buckets (one "theoretical arrival
/// time" per bucket). Sources live in a fixed, 4-way set-associative table allocated once: no
/// allocation per request. When a set is full, the most idle entry (the fullest bucket) gives way,
/// so an attacker cannot refill a victim's bucket by crowding it out unless the victim's bucket
/// is itself the fullest. Safe to call from every worker thread.</summary>
public sealed class RateLimiter
{
    private const int Ways = 4;

    private readonly ulong[] _keys;
    private readonly long[] _arrivals;
    private readonly int[] _gates;
    private readonly int _setMask;
    private readonly ulong _seed;
    private readonly long _interval;
    private readonly long _tolerance;
    private readonly ulong _ipv4Mask;
    private readonly ulong _ipv6Mask;
    private readonly long _globalInterval;
    private readonly long _globalTolerance;
    private long _globalArrival;

    public RateLimiter(RateLimitOptions options, long frequency = 0)
    {
        if (frequency == 0)
        {
            frequency = Stopwatch.Frequency;
        }
        if (options.PerSourceRate <= 0 || options.PerSourceBurst <= 0)
        {
            throw new ArgumentException("per-source rate and burst must be positive", nameof(options));
        }
        int sets = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(options.TableSize / Ways, 1));
        _setMask = sets - 1;
        _keys = new ulong[sets * Ways];
        _arrivals = new long[sets * Ways];
        _gates = new int[sets];
        // A random seed per process: an attacker cannot pick sources that all land in one set.
        _seed = RandomSeed() | 1;
        _interval = Math.Max(frequency / options.PerSourceRate, 1);
        _tolerance = _interval * (options.PerSourceBurst - 1);
        _ipv4Mask = options.Ipv4PrefixLength <= 0 ? 0 : uint.MaxValue << (32 - Math.Min(options.Ipv4PrefixLength, 32));
        _ipv4Mask &= uint.MaxValue;
        _ipv6Mask = options.Ipv6PrefixLength <= 0 ? 0 : ulong.MaxValue << (64 - Math.Min(options.Ipv6PrefixLength, 64));
        if (options.GlobalRate > 0)
        {
            _globalInterval = Math.Max(frequency / options.GlobalRate, 1);
            _globalTolerance = _globalInterval * (options.GlobalRate - 1); // a second's worth
        }
    }

    /// <summary>The bucket key of a source: the IPv4 prefix tagged into the reserved ffff:ffff::/32
    /// space, or the top 64 bits of an IPv6 address under the prefix mask.</summary>
    public ulong KeyOf(ReadOnlySpan<byte> address)
    {
        if (address.Length == 4)
        {
            return 0xFFFF_FFFF_0000_0000UL | (BinaryPrimitives.ReadUInt32BigEndian(address) & _ipv4Mask);
        }
        ulong key = BinaryPrimitives.ReadUInt64BigEndian(address) & _ipv6Mask;
        // ffff:ffff::/32 is unallocated IPv6; moved aside so that it cannot share IPv4's keys.
        return (key >> 32) == 0xFFFF_FFFF ? key & 0xFFFF_FFFE_FFFF_FFFFUL : key;
    }

    /// <summary>Takes one answer from the source's bucket and then from the global one; false when
    /// either is empty (the global budget is not spent on a source that is over its own).</summary>
    public bool TryAcquire(ReadOnlySpan<byte> address, long now) =>
        TryAcquireSource(KeyOf(address), now) && TryAcquireGlobal(now);

    private bool TryAcquireSource(ulong key, long now)
    {
        // Fibonacci hashing: the high bits of the product are the well-mixed ones.
        int set = (int)(((key ^ _seed) * 0x9E3779B97F4A7C15UL) >> 40) & _setMask;
        int first = set * Ways;
        ref int gate = ref _gates[set];
        while (Interlocked.CompareExchange(ref gate, 1, 0) != 0)
        {
            Thread.SpinWait(1);
        }
        try
        {
            int slot = -1;
            int idlest = first;
            for (int i = first; i < first + Ways; i++)
            {
                if (_keys[i] == key && _arrivals[i] != 0)
                {
                    slot = i;
                    break;
                }
                if (_arrivals[i] < _arrivals[idlest])
                {
                    idlest = i;
                }
            }
            long arrival;
            if (slot < 0)
            {
                slot = idlest;
                _keys[slot] = key;
                arrival = now;
            }
            else
            {
                arrival = Math.Max(_arrivals[slot], now);
            }
            if (arrival - now > _tolerance)
            {
                return false;
            }
            _arrivals[slot] = arrival + _interval;
            return true;
        }
        finally
        {
            Volatile.Write(ref gate, 0);
        }
    }

    private bool TryAcquireGlobal(long now)
    {
        if (_globalInterval == 0)
        {
            return true;
        }
        while (true)
        {
            long current = Volatile.Read(ref _globalArrival);
            long arrival = Math.Max(current, now);
            if (arrival - now > _globalTolerance)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _globalArrival, arrival + _globalInterval, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Eight bytes from the kernel's random pool. Not RandomNumberGenerator: on Linux that
    /// is OpenSSL's, which a router image need not have (the runtime aborts without libssl).</summary>
    private static ulong RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[8];
        using var urandom = new FileStream("/dev/urandom", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        urandom.ReadExactly(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}
