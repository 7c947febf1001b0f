namespace Postern.Hosting;

/// <summary>The exit codes every role shares.</summary>
public static class ExitCodes
{
    /// <summary>Served and stopped cleanly, or a one-shot action (--dry-run, --cleanup) succeeded.</summary>
    public const int Ok = 0;

    /// <summary>Could not start (a capability, a socket, a queue or a rule): nothing of this
    /// instance is left behind.</summary>
    public const int Startup = 1;

    /// <summary>A bad flag or option value: named in one sentence, nothing was touched.</summary>
    public const int Usage = 2;
}
