namespace Postern.Wire;

/// <summary>Domains whose names, and every name below them, keep their real answers. Lookups take
/// a name in lower-case presentation form and try it and each parent: no allocation.</summary>
public sealed class DomainSet
{
    private readonly HashSet<string> _domains = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public DomainSet(IEnumerable<string> domains)
    {
        foreach (string domain in domains)
        {
            _domains.Add(Normalize(domain) ?? throw new ArgumentException($"not a domain name: '{domain}'", nameof(domains)));
        }
        _lookup = _domains.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _domains.Count;

    /// <summary>Lower case, no trailing dot; null when it cannot be a name (empty labels, a label
    /// over 63 octets, over 253 characters). "." stands for the root, which matches every name.</summary>
    public static string? Normalize(string domain)
    {
        string trimmed = domain.Trim().ToLowerInvariant();
        if (trimmed == ".")
        {
            return "";
        }
        if (trimmed.EndsWith('.'))
        {
            trimmed = trimmed.Substring(0, trimmed.Length - 1);
        }
        if (trimmed.Length == 0 || trimmed.Length > 253)
        {
            return null;
        }
        foreach (string label in trimmed.Split('.'))
        {
            if (label.Length is 0 or > 63 || label.Any(c => c > 0x7F || char.IsWhiteSpace(c)))
            {
                return null;
            }
        }
        return trimmed;
    }

    /// <summary>Reads names one per line; blank lines and '#' comments are skipped.</summary>
    public static IEnumerable<string> ReadFile(string path)
    {
        foreach (string line in File.ReadLines(path))
        {
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            string content = (hash >= 0 ? line.Substring(0, hash) : line).Trim();
            if (content.Length > 0)
            {
                yield return content;
            }
        }
    }

    /// <summary>True when <paramref name="name"/> (lower case, no trailing dot) is a listed domain
    /// or below one.</summary>
    public bool Matches(ReadOnlySpan<char> name)
    {
        if (_domains.Count == 0)
        {
            return false;
        }
        ReadOnlySpan<char> suffix = name;
        while (true)
        {
            if (_lookup.Contains(suffix))
            {
                return true;
            }
            int dot = suffix.IndexOf('.');
            if (dot < 0)
            {
                return _lookup.Contains(ReadOnlySpan<char>.Empty);
            }
            suffix = suffix.Slice(dot + 1);
        }
    }
}
