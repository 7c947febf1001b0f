using System.Buffers.Binary;
using System.Diagnostics;
using Postern.Wire;

namespace Postern.Reflector;

/// <summary>The endpoints published by DNS-SD: a bounded table from WireGuard public key to the
/// endpoint its holder last registered from. A register request is accepted when its timestamp is
/// within <see cref="DnsSdOptions.ClockSkew"/> of the reflector's clock and greater than the last
/// accepted one for the key (no replay), and its MAC proves that the sender holds the key's
/// private key (<see cref="WireGuardRegister"/>); the checks run cheapest first. An entry not
/// renewed within the lifetime (a few TTLs) is dropped. One lock: registrations come about once
/// per --interval per peer, and DNS queries read a snapshot. Safe to call from every thread.</summary>
public sealed class WireGuardDirectory
{
    private readonly object _gate = new();
    private readonly Dictionary<KeyId, Entry> _entries = new();
    private readonly byte[] _privateKey;
    private readonly Func<long> _unixMilliseconds;
    private readonly long _lifetime;
    private readonly long _skewMilliseconds;
    private long _accepted;
    private long _clockSkew;
    private long _replayed;
    private long _badMac;
    private long _tableFull;
    private long _expired;
    private long _lookups;
    private long _lookupMisses;

    /// <param name="unixMilliseconds">The clock registrations are checked against; null for the
    /// system's.</param>
    public WireGuardDirectory(ReadOnlySpan<byte> privateKey, int capacity, TimeSpan lifetime, Func<long>? unixMilliseconds = null)
    {
        if (capacity is < 1 or > DnsSdOptions.MaxTableSize)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity));
        }
        _privateKey = privateKey.ToArray();
        PublicKey = WireGuardRegister.PublicKeyOf(privateKey);
        Capacity = capacity;
        _lifetime = (long)(lifetime.TotalSeconds * Stopwatch.Frequency);
        _skewMilliseconds = (long)DnsSdOptions.ClockSkew.TotalMilliseconds;
        _unixMilliseconds = unixMilliseconds ?? (() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    /// <summary>The reflector's public key: what `postern-punch register --server-key` is given.</summary>
    public byte[] PublicKey { get; }

    public int Capacity { get; }

    public long Accepted => Volatile.Read(ref _accepted);
    public long RefusedClockSkew => Volatile.Read(ref _clockSkew);
    public long RefusedReplayed => Volatile.Read(ref _replayed);
    public long RefusedBadMac => Volatile.Read(ref _badMac);
    public long RefusedTableFull => Volatile.Read(ref _tableFull);
    public long Expired => Volatile.Read(ref _expired);
    public long Lookups => Volatile.Read(ref _lookups);
    public long LookupMisses => Volatile.Read(ref _lookupMisses);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Applies one register request for <paramref name="key"/> observed from
    /// <paramref name="observed"/> at <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp).
    /// <paramref name="changed"/> is true when an accepted registration is a new key or moves
    /// one to another endpoint (worth a log line).</summary>
    public RegisterResult Register(ReadOnlySpan<byte> key, long time, ReadOnlySpan<byte> transaction, ReadOnlySpan<byte> mac,
        in StunAddress observed, long now, out bool changed)
    {
        changed = false;
        long clock = _unixMilliseconds();
        if (time < clock - _skewMilliseconds || time > clock + _skewMilliseconds)
        {
            Interlocked.Increment(ref _clockSkew);
            return RegisterResult.ClockSkew;
        }
        var id = new KeyId(key);
        lock (_gate)
        {
            bool known = _entries.TryGetValue(id, out Entry entry);
            if (known && IsExpired(in entry, now))
            {
                _entries.Remove(id);
                _expired++;
                known = false;
            }
            if (known && time <= entry.Time)
            {
                _replayed++;
                return RegisterResult.Replayed;
            }
            Span<byte> macKey = stackalloc byte[WireGuardRegister.MacLength];
            if (!WireGuardRegister.DeriveMacKey(_privateKey, key, key, PublicKey, macKey) ||
                !WireGuardRegister.VerifyMac(macKey, transaction, key, time, mac))
            {
                _badMac++;
                return RegisterResult.BadMac;
            }
            if (!known && _entries.Count >= Capacity)
            {
                SweepLocked(now);
                if (_entries.Count >= Capacity)
                {
                    _tableFull++;
                    return RegisterResult.TableFull;
                }
            }
            changed = !known || entry.Endpoint != observed;
            _entries[id] = new Entry { Endpoint = observed, Time = time, LastSeen = now };
            _accepted++;
            return RegisterResult.Accepted;
        }
    }

    /// <summary>The registration of <paramref name="key"/>, for a lookup request (counted); false
    /// when there is none (or it expired).</summary>
    public bool TryLookup(ReadOnlySpan<byte> key, long now, out WireGuardRegistration registration)
    {
        bool found = TryFind(key, now, out registration);
        Interlocked.Increment(ref _lookups);
        if (!found)
        {
            Interlocked.Increment(ref _lookupMisses);
        }
        return found;
    }

    /// <summary>The registration of <paramref name="key"/>, for DNS (not counted here).</summary>
    public bool TryFind(ReadOnlySpan<byte> key, long now, out WireGuardRegistration registration)
    {
        var id = new KeyId(key);
        lock (_gate)
        {
            if (_entries.TryGetValue(id, out Entry entry))
            {
                if (!IsExpired(in entry, now))
                {
                    registration = new WireGuardRegistration(key.ToArray(), entry.Endpoint, entry.Time);
                    return true;
                }
                _entries.Remove(id);
                _expired++;
            }
            registration = default;
            return false;
        }
    }

    /// <summary>Every live registration, ordered by key (stable answers), expired ones removed.</summary>
    public List<WireGuardRegistration> Snapshot(long now)
    {
        var result = new List<WireGuardRegistration>();
        lock (_gate)
        {
            SweepLocked(now);
            foreach (KeyValuePair<KeyId, Entry> pair in _entries)
            {
                result.Add(new WireGuardRegistration(pair.Key.ToArray(), pair.Value.Endpoint, pair.Value.Time));
            }
        }
        result.Sort((a, b) => ((ReadOnlySpan<byte>)a.Key).SequenceCompareTo(b.Key));
        return result;
    }

    private void SweepLocked(long now)
    {
        List<KeyId>? stale = null;
        foreach (KeyValuePair<KeyId, Entry> pair in _entries)
        {
            if (IsExpired(pair.Value, now))
            {
                (stale ??= new List<KeyId>()).Add(pair.Key);
            }
        }
        if (stale is not null)
        {
            foreach (KeyId id in stale)
            {
                _entries.Remove(id);
                _expired++;
            }
        }
    }

    private bool IsExpired(in Entry entry, long now) => now - entry.LastSeen >= _lifetime;

    private struct Entry
    {
        public StunAddress Endpoint;
        public long Time;
        public long LastSeen;
    }

    /// <summary>A 32-byte key as four integers: a dictionary key without a byte[] per lookup.</summary>
    private readonly record struct KeyId(ulong A, ulong B, ulong C, ulong D)
    {
        public KeyId(ReadOnlySpan<byte> key)
            : this(BinaryPrimitives.ReadUInt64BigEndian(key), BinaryPrimitives.ReadUInt64BigEndian(key.Slice(8)),
                BinaryPrimitives.ReadUInt64BigEndian(key.Slice(16)), BinaryPrimitives.ReadUInt64BigEndian(key.Slice(24)))
        {
            if (key.Length != WireGuardRegister.KeyLength)
            {
                throw new ArgumentException("a WireGuard key is 32 bytes", nameof(key));
            }
        }

        public byte[] ToArray()
        {
            byte[] key = new byte[WireGuardRegister.KeyLength];
            BinaryPrimitives.WriteUInt64BigEndian(key, A);
            BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(8), B);
            BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(16), C);
            BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(24), D);
            return key;
        }
    }
}
