namespace Postern.DnsGuard;

/// <summary>Why an answer was held instead of accepted at once.</summary>
public enum HoldReason
{
    None = -1,
    /// <summary>The server's profile has too few real answers yet.</summary>
    Unlearned,
    /// <summary>IP TTL (hop limit) more than 1 away from the server's usual.</summary>
    Ttl,
    /// <summary>The query had an OPT record and the answer has none.</summary>
    Opt,
    /// <summary>Back far sooner than the server ever answers.</summary>
    Rtt,
}
