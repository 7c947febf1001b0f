namespace Postern.Reflector;

/// <summary>One line per event with a journald priority prefix (sd-daemon(3)): "&lt;6&gt;" info,
/// "&lt;4&gt;" warning, "&lt;3&gt;" error. Lines from different threads never interleave.</summary>
public static class JournalLog
{
    private static readonly object s_gate = new();

    public static TextWriter Writer { get; set; } = Console.Out;

    public static void Info(string message) => Write(6, message);

    public static void Warning(string message) => Write(4, message);

    public static void Error(string message) => Write(3, message);

    private static void Write(int priority, string message)
    {
        lock (s_gate)
        {
            Writer.Write('<');
            Writer.Write((char)('0' + priority));
            Writer.Write('>');
            Writer.Write(message);
            Writer.Write('\n');
            Writer.Flush();
        }
    }
}
