namespace Postern.Aaaa;

/// <summary>Where queries are hooked: a DNS server on this host (INPUT), a router in front of
/// clients (FORWARD), or this host's own lookups (OUTPUT).</summary>
public enum HookChain
{
    Input,
    Forward,
    Output,
}
