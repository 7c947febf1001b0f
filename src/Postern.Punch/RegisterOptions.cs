namespace Postern.Punch;

/// <summary>postern-punch register: publish IFACE's endpoint at a reflector with --dns-sd.</summary>
public sealed record RegisterOptions
{
    public required ServerAddress Server { get; init; }

    /// <summary>The reflector's X25519 public key (32 bytes), as it logs it at start.</summary>
    public required byte[] ServerKey { get; init; }

    public required string Interface { get; init; }

    /// <summary>Zero: register once and exit; else register again this often until stopped.</summary>
    public TimeSpan Interval { get; init; }

    /// <summary>Register datagrams sent per round before the round is given up (each confirmed
    /// or not by a lookup).</summary>
    public int Attempts { get; init; } = 4;
}
