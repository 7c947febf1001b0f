using System.Net;

namespace Postern.Punch;

/// <summary>`postern-punch connect`, validated.</summary>
public sealed record ConnectOptions
{
    public required IReadOnlyList<ServerAddress> Servers { get; init; }

    /// <summary>Normalised; null: generate one and print it with the peer's command.</summary>
    public string? Code { get; init; }

    public IPEndPoint? Forward { get; init; }

    public string? Exec { get; init; }

    /// <summary>Hand the punched port to this WireGuard interface (`wg set`), else null.</summary>
    public WireGuardHandoff? WireGuard { get; init; }

    /// <summary>Hand the held path to mosh-server or mosh-client (--mosh-server, --mosh-client).</summary>
    public MoshRole Mosh { get; init; }

    public RelayAddress? Relay { get; init; }

    /// <summary>The local UDP port to punch from (0: any).</summary>
    public int LocalPort { get; init; }

    /// <summary>Re-punch when a held path is lost, instead of exiting.</summary>
    public bool Keep { get; init; }

    /// <summary>How long to wait for the peer at the reflector.</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromMinutes(10);

    public int BirthdayPorts { get; init; } = 256;

    public PunchSettings Punch { get; init; } = new();

    public HoldSettings Hold { get; init; } = new();

    /// <summary>Use IPv6 towards the servers (else IPv4 when the server has it).</summary>
    public bool Ipv6 { get; init; }
}
