namespace Postern.Punch;

/// <summary>Finds the programs a hand-off runs (wg, mosh-server, mosh-client) before anyone is
/// paired: a peer should not punch for a hand-off that cannot happen.</summary>
public static class ExecutablePath
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The first executable file called <paramref name="name"/> in a directory of PATH,
    /// or null.</summary>
    public static string? Find(string name)
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        foreach (string directory in (string.IsNullOrEmpty(path) ? DefaultPath : path).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }
        return null;
    }
}
