using System.Text;

namespace Postern.Netfilter;

/// <summary>Splits one line of <c>iptables -S</c> into its arguments. iptables quotes an argument
/// that needs it with double quotes and escapes quotes and backslashes inside.</summary>
public static class RuleSpecParser
{
    public static List<string> Split(string line)
    {
        var arguments = new List<string>();
        var current = new StringBuilder();
        bool inQuotes = false;
        bool any = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (inQuotes)
            {
                if (c == '\\' && i + 1 < line.Length)
                {
                    current.Append(line[++i]);
                }
                else if (c == '"')
                {
                    inQuotes = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                inQuotes = true;
                any = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (any || current.Length > 0)
                {
                    arguments.Add(current.ToString());
                    current.Clear();
                    any = false;
                }
            }
            else
            {
                current.Append(c);
            }
        }
        if (any || current.Length > 0)
        {
            arguments.Add(current.ToString());
        }
        return arguments;
    }

    /// <summary>The value of <c>--comment</c> in a rule's arguments, or null.</summary>
    public static string? Comment(IReadOnlyList<string> arguments)
    {
        for (int i = 0; i + 1 < arguments.Count; i++)
        {
            if (arguments[i] == "--comment")
            {
                return arguments[i + 1];
            }
        }
        return null;
    }
}
