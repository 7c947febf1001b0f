using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The long option names a role's files speak of, read each file's own way, so that the
/// tests can hold --help, the defaults file, the UCI config and the procd script to one set.</summary>
public static partial class OptionNames
{
    /// <summary>Options of the binary that make no sense in a service's settings.</summary>
    public static readonly IReadOnlySet<string> NotForServices = new HashSet<string>(StringComparer.Ordinal)
    {
        "help", "version", "dry-run", "cleanup",
    };

    /// <summary>UCI options that are about the procd instance, not the program.</summary>
    public static readonly IReadOnlySet<string> UciOnly = new HashSet<string>(StringComparer.Ordinal) { "enabled", "user" };

    /// <summary>Every long option `ROLE --help` lists, without the leading dashes; with a command,
    /// those `ROLE COMMAND --help` lists.</summary>
    public static SortedSet<string> FromHelp(string binary, string? command = null)
    {
        string help = command is null ? Shell.Check(binary, "--help") : Shell.Check(binary, command, "--help");
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match match in HelpOption().Matches(help))
        {
            names.Add(match.Groups[1].Value);
        }
        Assert.NotEmpty(names);
        return names;
    }

    /// <summary>The commands `ROLE --help` lists under "Commands:" (postern-punch: connect, manual,
    /// nat-type), the way build-man.sh finds them; none for a role without any.</summary>
    public static IReadOnlyList<string> Subcommands(string binary)
    {
        string help = Shell.Check(binary, "--help");
        Match section = CommandsSection().Match(help);
        return section.Success
            ? CommandName().Matches(section.Groups[1].Value).Select(m => m.Groups[1].Value).ToArray()
            : Array.Empty<string>();
    }

    /// <summary>How help2man writes --name in the page: "\-\-name".</summary>
    public static string InRoff(string option) => "\\-\\-" + option.Replace("-", "\\-", StringComparison.Ordinal);

    public static SortedSet<string> ForServices(SortedSet<string> names)
    {
        var result = new SortedSet<string>(names, StringComparer.Ordinal);
        result.ExceptWith(NotForServices);
        return result;
    }

    /// <summary>The option list of a defaults file: comment lines "#   --name ...".</summary>
    public static SortedSet<string> FromDefaultsFile(string path) =>
        Collect(DefaultsOption().Matches(File.ReadAllText(path)), dashes: false);

    /// <summary>The option and list names of a UCI file, set or commented out, '_' read as '-'.</summary>
    public static SortedSet<string> FromUci(string path)
    {
        SortedSet<string> names = Collect(UciOption().Matches(File.ReadAllText(path)), dashes: true);
        names.ExceptWith(UciOnly);
        return names;
    }

    /// <summary>The FLAGS, VALUES and LISTS tables of a procd init script.</summary>
    public static (SortedSet<string> Flags, SortedSet<string> Values, SortedSet<string> Lists) FromInitScript(string path)
    {
        string text = File.ReadAllText(path);
        SortedSet<string> Table(string name)
        {
            Match match = Regex.Match(text, "^" + name + "=\"([a-z0-9_ ]*)\"", RegexOptions.Multiline);
            Assert.True(match.Success, $"{path} has no {name}=\"...\" table");
            return new SortedSet<string>(
                match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(n => n.Replace('_', '-')),
                StringComparer.Ordinal);
        }
        return (Table("FLAGS"), Table("VALUES"), Table("LISTS"));
    }

    private static SortedSet<string> Collect(MatchCollection matches, bool dashes)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match match in matches)
        {
            string name = match.Groups[1].Value;
            names.Add(dashes ? name.Replace('_', '-') : name);
        }
        return names;
    }

    [GeneratedRegex(@"^\s+(?:-\S+, )*--([a-z0-9][a-z0-9-]*)", RegexOptions.Multiline)]
    private static partial Regex HelpOption();

    [GeneratedRegex(@"^Commands:\n((?:  .*\n?)+)", RegexOptions.Multiline)]
    private static partial Regex CommandsSection();

    [GeneratedRegex(@"^  ([a-z][a-z0-9-]*)", RegexOptions.Multiline)]
    private static partial Regex CommandName();

    [GeneratedRegex(@"^#\s+--([a-z0-9][a-z0-9-]*)", RegexOptions.Multiline)]
    private static partial Regex DefaultsOption();

    [GeneratedRegex(@"^\s*#?\s*(?:option|list)\s+([a-z0-9_]+)\s", RegexOptions.Multiline)]
    private static partial Regex UciOption();
}
