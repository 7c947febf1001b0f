using System.Globalization;

namespace Postern.Reflector;

/// <summary>Counts of what the server did, shared by every worker. Workers add a batch's worth at
/// a time, so the interlocked operations cost nothing per request.</summary>
public sealed class ReflectorCounters
{
    private long _textAnswers;
    private long _stunAnswers;
    private long _stunErrors;
    private long _rateLimited;
    private long _malformed;
    private long _ignored;
    private long _oversize;
    private long _sendErrors;
    private long _tcpConnections;
    private long _tcpRefused;

    public long TextAnswers => Volatile.Read(ref _textAnswers);
    public long StunAnswers => Volatile.Read(ref _stunAnswers);
    public long StunErrors => Volatile.Read(ref _stunErrors);
    public long Answered => TextAnswers + StunAnswers + StunErrors;
    public long RateLimited => Volatile.Read(ref _rateLimited);
    public long Malformed => Volatile.Read(ref _malformed);
    public long Ignored => Volatile.Read(ref _ignored);
    public long Oversize => Volatile.Read(ref _oversize);
    public long SendErrors => Volatile.Read(ref _sendErrors);
    public long TcpConnections => Volatile.Read(ref _tcpConnections);
    public long TcpRefused => Volatile.Read(ref _tcpRefused);

    /// <summary>Adds one batch's tally (indexed by <see cref="ReflectorOutcome"/>) and clears it.</summary>
    public void Add(Span<int> tally)
    {
        AddIfAny(ref _textAnswers, ref tally[(int)ReflectorOutcome.Text]);
        AddIfAny(ref _stunAnswers, ref tally[(int)ReflectorOutcome.StunSuccess]);
        AddIfAny(ref _stunErrors, ref tally[(int)ReflectorOutcome.StunError]);
        AddIfAny(ref _malformed, ref tally[(int)ReflectorOutcome.Malformed]);
        AddIfAny(ref _ignored, ref tally[(int)ReflectorOutcome.Ignored]);
        AddIfAny(ref _rateLimited, ref tally[(int)ReflectorOutcome.RateLimited]);
        AddIfAny(ref _oversize, ref tally[(int)ReflectorOutcome.Oversize]);
    }

    public const int TallyLength = (int)ReflectorOutcome.Oversize + 1;

    private static void AddIfAny(ref long counter, ref int value)
    {
        if (value != 0)
        {
            Interlocked.Add(ref counter, value);
            value = 0;
        }
    }

    public void Add(ReflectorOutcome outcome)
    {
        Span<int> tally = stackalloc int[TallyLength];
        tally[(int)outcome] = 1;
        Add(tally);
    }

    public void AddSendErrors(int count) => Interlocked.Add(ref _sendErrors, count);

    public void AddTcpConnection() => Interlocked.Increment(ref _tcpConnections);

    public void AddTcpRefused() => Interlocked.Increment(ref _tcpRefused);

    /// <summary>One log line: answered first, then why the rest were not.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"counters: answered={Answered} (stun={StunAnswers} stun-error={StunErrors} text={TextAnswers}) " +
        $"rate-limited={RateLimited} malformed={Malformed} ignored={Ignored} oversize={Oversize} " +
        $"send-errors={SendErrors} tcp-connections={TcpConnections} tcp-refused={TcpRefused}");
}
