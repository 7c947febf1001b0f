namespace Postern.Reflector;

/// <summary>What became of one DNS-SD register request.</summary>
public enum RegisterResult
{
    /// <summary>New key, or a newer registration of a known one: published.</summary>
    Accepted,

    /// <summary>The timestamp is more than the allowed skew away from the reflector's clock.</summary>
    ClockSkew,

    /// <summary>The timestamp is not greater than the last accepted one for the key: a replay.</summary>
    Replayed,

    /// <summary>The MAC does not verify: the sender does not hold the key's private key.</summary>
    BadMac,

    /// <summary>A new key, and every entry of the table is taken.</summary>
    TableFull,
}
