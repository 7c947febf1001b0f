namespace Postern.Packaging.Integration.Tests;

/// <summary>A systemd unit file read as systemd does for the settings the tests look at: section,
/// key, every value in order (a key may repeat; comments and blank lines ignored).</summary>
public sealed class UnitFile
{
    private readonly List<(string Section, string Key, string Value)> _settings = new();

    public UnitFile(string path)
    {
        Path = path;
        string section = "";
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }
            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"{path}: not a setting: {line}");
            _settings.Add((section, line[..equals], line[(equals + 1)..]));
        }
    }

    public string Path { get; }

    public IReadOnlyList<string> All(string section, string key) =>
        _settings.Where(s => s.Section == section && s.Key == key).Select(s => s.Value).ToList();

    /// <summary>The one value of a setting; fails when it is missing or given twice.</summary>
    public string Single(string section, string key)
    {
        IReadOnlyList<string> values = All(section, key);
        Assert.True(values.Count == 1, $"{Path}: [{section}] {key}= given {values.Count} times, expected once");
        return values[0];
    }

    public string Service(string key) => Single("Service", key);

    /// <summary>A space-separated list setting, e.g. CapabilityBoundingSet, as a set ("" is empty).</summary>
    public SortedSet<string> ServiceWords(string key) =>
        new(Service(key).Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
}
