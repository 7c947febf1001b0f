namespace Postern.Aaaa;

/// <summary>Whether this host now has a global IPv6 default route (for --auto).</summary>
public interface IIpv6RouteState
{
    bool HasDefaultRoute { get; }
}
