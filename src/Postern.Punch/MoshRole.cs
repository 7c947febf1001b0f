namespace Postern.Punch;

/// <summary>Which end of a mosh session this side of the punch hands the path to.</summary>
public enum MoshRole
{
    None,

    /// <summary>--mosh-server: start mosh-server on loopback, send its key sealed, relay to it.</summary>
    Server,

    /// <summary>--mosh-client: take the sealed key, run mosh-client against a local relay port.</summary>
    Client,
}
