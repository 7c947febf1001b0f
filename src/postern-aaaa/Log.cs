namespace Postern.AaaaCli;

/// <summary>One line per event on stderr; under systemd (JOURNAL_STREAM set) each line carries a
/// journald priority prefix (sd-daemon(3)).</summary>
internal static class Log
{
    private static readonly bool s_journal = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 };

    public static void Info(string message) => Write("<6>", message);

    public static void Warning(string message) => Write("<4>", message);

    public static void Error(string message) => Write("<3>", message);

    private static void Write(string priority, string message)
    {
        Console.Error.WriteLine(s_journal ? priority + message : "postern-aaaa: " + message);
    }
}
