using System.Globalization;
using System.Runtime.CompilerServices;

namespace Postern.Hosting;

/// <summary>An interpolated log message formatted into a per-thread buffer (invariant culture),
/// so that <c>Log.Info($"queue {n}: {count} packets")</c> allocates no string.</summary>
[InterpolatedStringHandler]
public ref struct LogLine
{
    private const int ScratchLength = 512;

    [ThreadStatic]
    private static char[]? t_scratch;

    private DefaultInterpolatedStringHandler _inner;

    public LogLine(int literalLength, int formattedCount)
    {
        _inner = new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture,
            t_scratch ??= new char[ScratchLength]);
    }

    public void AppendLiteral(string value) => _inner.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);

    public void AppendFormatted<T>(T value, int alignment) => _inner.AppendFormatted(value, alignment);

    public void AppendFormatted(ReadOnlySpan<char> value) => _inner.AppendFormatted(value);

    public void AppendFormatted(string? value) => _inner.AppendFormatted(value);

    internal readonly ReadOnlySpan<char> Text => _inner.Text;

    internal void Clear() => _inner.Clear();
}
