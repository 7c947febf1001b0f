namespace Postern.Reflector;

/// <summary>What became of one request.</summary>
public enum ReflectorOutcome
{
    /// <summary>Answered with the legacy text line.</summary>
    Text,

    /// <summary>Answered with a Binding success response (RFC 8489 or RFC 3489).</summary>
    StunSuccess,

    /// <summary>Answered with an error response (420, 400).</summary>
    StunError,

    /// <summary>Framed as STUN but broken, or cut short: dropped.</summary>
    Malformed,

    /// <summary>A STUN indication or response: never answered.</summary>
    Ignored,

    /// <summary>Over the source's or the global budget: dropped.</summary>
    RateLimited,

    /// <summary>The answer would be larger than the request under --strict-size: dropped.</summary>
    Oversize,
}
