using System.Text;

namespace Postern.Hosting;

/// <summary>The one logger of every role: one line per event on stderr. Under systemd
/// (JOURNAL_STREAM set) each line carries a journald priority prefix ("&lt;6&gt;", sd-daemon(3));
/// elsewhere (a terminal, a test) it starts with the program's name. Lines from different threads
/// never interleave, a message's own line breaks are folded into spaces, and writing a line
/// allocates nothing once the buffer has grown to the longest line (interpolated messages format
/// into a per-thread buffer, see <see cref="LogLine"/>).</summary>
public static class Log
{
    private static readonly object s_gate = new();
    private static string s_program = "postern";
    private static bool s_journal = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 };
    private static Stream s_output = Console.OpenStandardError();
    private static byte[] s_bytes = new byte[1024];

    /// <summary>The program name for plain lines, and where lines go (stderr unless a test says
    /// otherwise); <paramref name="journal"/> overrides what JOURNAL_STREAM says.</summary>
    public static void Configure(string program, Stream? output = null, bool? journal = null)
    {
        lock (s_gate)
        {
            s_program = program;
            if (output is not null)
            {
                s_output = output;
            }
            if (journal is { } value)
            {
                s_journal = value;
            }
        }
    }

    public static string Program => s_program;

    /// <summary>Whether lines carry journald priority prefixes.</summary>
    public static bool Journal => s_journal;

    public static void Error(string message) => Write(LogLevel.Error, message);

    public static void Warning(string message) => Write(LogLevel.Warning, message);

    public static void Notice(string message) => Write(LogLevel.Notice, message);

    public static void Info(string message) => Write(LogLevel.Info, message);

    public static void Debug(string message) => Write(LogLevel.Debug, message);

    public static void Error(ref LogLine message) => Write(LogLevel.Error, ref message);

    public static void Warning(ref LogLine message) => Write(LogLevel.Warning, ref message);

    public static void Notice(ref LogLine message) => Write(LogLevel.Notice, ref message);

    public static void Info(ref LogLine message) => Write(LogLevel.Info, ref message);

    public static void Debug(ref LogLine message) => Write(LogLevel.Debug, ref message);

    public static void Write(LogLevel level, ref LogLine message)
    {
        Write(level, message.Text);
        message.Clear();
    }

    public static void Write(LogLevel level, ReadOnlySpan<char> message)
    {
        lock (s_gate)
        {
            ReadOnlySpan<char> prefix = s_journal ? "" : s_program;
            int most = Encoding.UTF8.GetMaxByteCount(prefix.Length + message.Length) + 6;
            if (s_bytes.Length < most)
            {
                s_bytes = new byte[Math.Max(most, s_bytes.Length * 2)];
            }
            Span<byte> bytes = s_bytes;
            int length = 0;
            if (s_journal)
            {
                bytes[length++] = (byte)'<';
                bytes[length++] = (byte)('0' + (int)level);
                bytes[length++] = (byte)'>';
            }
            else
            {
                length += Encoding.UTF8.GetBytes(prefix, bytes.Slice(length));
                bytes[length++] = (byte)':';
                bytes[length++] = (byte)' ';
            }
            int start = length;
            length += Encoding.UTF8.GetBytes(message, bytes.Slice(length));
            // One event, one line: journald and grep both split on line breaks.
            foreach (ref byte b in bytes.Slice(start, length - start))
            {
                if (b is (byte)'\n' or (byte)'\r')
                {
                    b = (byte)' ';
                }
            }
            bytes[length++] = (byte)'\n';
            try
            {
                s_output.Write(bytes.Slice(0, length));
                s_output.Flush();
            }
            catch (IOException)
            {
                // stderr closed (the journal went away): the service goes on without its log.
            }
        }
    }
}
