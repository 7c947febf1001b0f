namespace Postern.Reflector;

/// <summary>What one rendezvous request did to the table (docs/punch-protocol.md, "Rendezvous").</summary>
public enum RendezvousResult
{
    /// <summary>A new token: stored, waiting for its peer.</summary>
    Registered,

    /// <summary>The waiting mapping again: its entry refreshed.</summary>
    Waiting,

    /// <summary>A second mapping: the entry is paired now, and the first peer is to be told.</summary>
    Paired,

    /// <summary>One of the two mappings of a paired entry again: the paired answer, no indication.</summary>
    PairedAgain,

    /// <summary>A third mapping with a paired token: 403.</summary>
    Refused,

    /// <summary>A new token when every entry is taken: not stored.</summary>
    TableFull,
}
