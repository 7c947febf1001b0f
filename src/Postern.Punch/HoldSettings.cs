namespace Postern.Punch;

/// <summary>How a held path is kept (RFC 7675): a consent check (a keepalive probe) every
/// <see cref="Keepalive"/>, jittered by a fifth, and the path declared lost after
/// <see cref="ConsentTimeout"/> without an authenticated answer.</summary>
public sealed record HoldSettings
{
    public const int MaxKeepaliveSeconds = 25;

    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
