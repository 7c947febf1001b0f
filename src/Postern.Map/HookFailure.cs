namespace Postern.Map;

public enum HookFailure
{
    /// <summary>The hook exited with a status other than 0.</summary>
    ExitStatus,

    /// <summary>It ran past --hook-timeout and was killed.</summary>
    Timeout,

    /// <summary>/bin/sh could not be started.</summary>
    Start,
}
