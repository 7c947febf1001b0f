namespace Postern.Hosting;

/// <summary>A role that rereads its configuration on SIGHUP (postern-socks' users file) instead
/// of stopping on it, as the other roles do.</summary>
public interface IReloadable
{
    /// <summary>Rereads; on an error keeps what it had and logs why. Called on the host's thread.</summary>
    void Reload();
}
