namespace Postern.DnsGuard;

/// <summary>Where postern-dnsguard sees DNS: answers to this host's own resolver (INPUT, its
/// queries in OUTPUT), or answers a router forwards to its clients (FORWARD, queries too).</summary>
public enum GuardChain
{
    Input,
    Forward,
}
