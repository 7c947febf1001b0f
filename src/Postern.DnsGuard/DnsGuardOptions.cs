using Postern.Wire;

namespace Postern.DnsGuard;

/// <summary>What the guard judges, and how long it holds.</summary>
public sealed record DnsGuardOptions
{
    public BogusList Bogus { get; init; } = BogusList.Empty;

    /// <summary>Names (and everything below them) whose answers may carry a listed address.</summary>
    public DomainSet AllowDomains { get; init; } = new(Array.Empty<string>());

    /// <summary>Servers whose answers are judged; empty: every server.</summary>
    public IReadOnlyList<AddressPrefix> Servers { get; init; } = Array.Empty<AddressPrefix>();

    /// <summary>A fixed hold window in milliseconds; 0: learned from each server's RTT.</summary>
    public int HoldMs { get; init; }

    /// <summary>Log each verdict that changes anything, with its reason (debug level).</summary>
    public bool Debug { get; init; }

    /// <summary>Outstanding queries remembered (a power of two): a record is reused by a later
    /// query that hashes to the same slot, and its answer then passes as "no-query".</summary>
    public int QuerySlots { get; init; } = 1 << 16;

    /// <summary>Answers held at once; past that, suspicious answers pass (fail open, "hold-full").</summary>
    public int MaxHeld { get; init; } = 4096;

    /// <summary>Server profiles kept; past that, the least recently used one is forgotten.</summary>
    public int MaxServers { get; init; } = 1024;
}
