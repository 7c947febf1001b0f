namespace Postern.Hosting;

/// <summary>A long-running role as <see cref="ServiceHost"/> runs it.</summary>
public interface IRole
{
    /// <summary>Serves once it returns; throws <see cref="StartupException"/> (leaving nothing of
    /// this instance behind) when it cannot.</summary>
    void Start();

    /// <summary>Stops serving and releases everything Start took (rules first, where the role
    /// has any). Called once, after a successful Start.</summary>
    void Stop();

    /// <summary>The role's counters, registered before Start returns.</summary>
    MetricSet Metrics { get; }

    /// <summary>One line for systemd's STATUS= and the ready line: what it serves, where.</summary>
    string Status { get; }
}
