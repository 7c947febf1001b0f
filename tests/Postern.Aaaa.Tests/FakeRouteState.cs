namespace Postern.Aaaa.Tests;

/// <summary>An IPv6 route state the test sets, in place of the route watch.</summary>
public sealed class FakeRouteState(bool hasDefaultRoute) : IIpv6RouteState
{
    public bool HasDefaultRoute { get; set; } = hasDefaultRoute;
}
