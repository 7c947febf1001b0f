using Postern.Wire;

namespace Postern.Aaaa;

/// <summary>What postern-aaaa answers and what it leaves alone.</summary>
public sealed record AaaaOptions
{
    /// <summary>Query types answered with NODATA: AAAA always, plus any asked for (HTTPS, SVCB).</summary>
    public IReadOnlyList<ushort> QueryTypes { get; init; } = new[] { DnsType.AAAA };

    /// <summary>Names that keep their real answers, with everything below them.</summary>
    public DomainSet ExceptDomains { get; init; } = new(Array.Empty<string>());

    /// <summary>Clients whose queries pass untouched.</summary>
    public IReadOnlyList<AddressPrefix> ExceptClients { get; init; } = Array.Empty<AddressPrefix>();

    /// <summary>Queries with the DNSSEC OK bit go to the real server, which can prove the answer.</summary>
    public bool PassDnssec { get; init; }

    /// <summary>Add a synthesized SOA (RFC 2308) so that caches keep the negative answer.</summary>
    public bool IncludeSoa { get; init; } = true;

    public uint NegativeTtl { get; init; } = 30;
}
