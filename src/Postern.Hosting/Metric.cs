namespace Postern.Hosting;

/// <summary>One metric family: a name in the stats line's words ("send-errors"), its help text,
/// its kind, and either one value or one value per label value. Values are read through
/// delegates when a stats line or a scrape asks, never counted here: the packet path only
/// increments its own fields.</summary>
public sealed class Metric
{
    internal Metric(string name, string help, MetricKind kind, Func<long>? read, string? label,
        IReadOnlyList<string>? labelValues, Func<int, long>? readLabelled, bool omitZero)
    {
        Name = name;
        Help = help;
        Kind = kind;
        Read = read;
        Label = label;
        LabelValues = labelValues ?? Array.Empty<string>();
        ReadLabelled = readLabelled;
        OmitZero = omitZero;
    }

    /// <summary>Lower-case words joined by '-', as in the stats line.</summary>
    public string Name { get; }

    public string Help { get; }

    public MetricKind Kind { get; }

    /// <summary>The label's name for a family of values ("reason"), or null for a single value.</summary>
    public string? Label { get; }

    public IReadOnlyList<string> LabelValues { get; }

    /// <summary>A family whose members are mostly zero (errno values) shows only the others in
    /// /metrics too.</summary>
    public bool OmitZero { get; }

    internal Func<long>? Read { get; }

    internal Func<int, long>? ReadLabelled { get; }

    /// <summary>The single value, or the sum over the family.</summary>
    public long Total()
    {
        if (Read is not null)
        {
            return Read();
        }
        long sum = 0;
        for (int i = 0; i < LabelValues.Count; i++)
        {
            sum += ReadLabelled!(i);
        }
        return sum;
    }

    public long ValueOf(int labelIndex) => ReadLabelled!(labelIndex);
}
