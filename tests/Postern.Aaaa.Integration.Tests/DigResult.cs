using System.Globalization;
using System.Text.RegularExpressions;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>What dig printed, read from its ordinary output.</summary>
public sealed partial record DigResult(string Output)
{
    public string? Status => Match(StatusPattern(), 1);

    public int AnswerCount => Count(CountsPattern(), 1);

    public int AuthorityCount => Count(CountsPattern(), 2);

    public int QueryTimeMs => Count(QueryTimePattern(), 1);

    /// <summary>The reply came from Postern: its synthesized SOA names postern.invalid.</summary>
    public bool FromPostern => Output.Contains("postern.invalid.", StringComparison.Ordinal);

    public bool TimedOut => Output.Contains("timed out", StringComparison.Ordinal) || Output.Contains("no servers could be reached", StringComparison.Ordinal);

    /// <summary>Data of the answer section's records of a type, e.g. the addresses of AAAA records.</summary>
    public IReadOnlyList<string> Answers(string type)
    {
        var answers = new List<string>();
        bool inAnswer = false;
        foreach (string line in Output.Split('\n'))
        {
            if (line.StartsWith(";; ANSWER SECTION", StringComparison.Ordinal))
            {
                inAnswer = true;
                continue;
            }
            if (inAnswer && (line.Length == 0 || line.StartsWith(";;", StringComparison.Ordinal)))
            {
                inAnswer = false;
            }
            string[] fields = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (inAnswer && fields.Length >= 5 && fields[3] == type)
            {
                answers.Add(fields[4]);
            }
        }
        return answers;
    }

    /// <summary>TTL of the SOA record in the authority section, or -1.</summary>
    public int SoaTtl
    {
        get
        {
            foreach (string line in Output.Split('\n'))
            {
                string[] fields = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 5 && fields[3] == "SOA" && !line.StartsWith(';'))
                {
                    return int.Parse(fields[1], CultureInfo.InvariantCulture);
                }
            }
            return -1;
        }
    }

    private string? Match(Regex pattern, int group)
    {
        System.Text.RegularExpressions.Match match = pattern.Match(Output);
        return match.Success ? match.Groups[group].Value : null;
    }

    private int Count(Regex pattern, int group)
    {
        string? text = Match(pattern, group);
        return text is null ? -1 : int.Parse(text, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"status: (\w+)")]
    private static partial Regex StatusPattern();

    [GeneratedRegex(@"ANSWER: (\d+), AUTHORITY: (\d+)")]
    private static partial Regex CountsPattern();

    [GeneratedRegex(@"Query time: (\d+) msec")]
    private static partial Regex QueryTimePattern();

    public override string ToString() => Output;
}
