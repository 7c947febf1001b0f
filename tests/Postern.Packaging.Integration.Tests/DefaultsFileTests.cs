using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The /etc/default files: what they set and what their examples say must be something
/// the binary accepts, so that an admin copying an example gets a service that starts.</summary>
[Collection(PackagingCollection.Name)]
public sealed class DefaultsFileTests
{
    [Fact]
    public void Aaaa_default_setting_and_every_example_pass_its_dry_run()
    {
        string binary = Repository.Binary("postern-aaaa");
        string text = File.ReadAllText(PackageBuild.DefaultsPath("postern-aaaa"));
        MatchCollection settings = Regex.Matches(text, "^#?\\s*POSTERN_AAAA_OPTS=\"([^\"]*)\"$", RegexOptions.Multiline);
        Assert.True(settings.Count >= 3, "expected the setting and at least two examples");
        foreach (Match setting in settings)
        {
            string[] words = setting.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            CommandResult dryRun = Shell.Run(binary, words.Append("--dry-run").ToArray());
            Assert.True(dryRun.Succeeded, dryRun.ToString());
            Assert.Contains("NFQUEUE", dryRun.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Defaults_files_are_valid_sh_that_sets_only_the_options_variable()
    {
        foreach (string role in PackageBuild.RolesWithUnits)
        {
            string path = PackageBuild.DefaultsPath(role);
            string variable = PackageBuild.OptionsVariable(role);
            // systemd's EnvironmentFile= and sh read it alike: one assignment, nothing else.
            CommandResult sourced = Shell.Run("/bin/sh", "-c", $"set -eu; . '{path}'; printf '%s' \"${variable}\"");
            Assert.True(sourced.Succeeded, sourced.ToString());
            Assert.Equal("", sourced.Output);
            string[] code = File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
            Assert.Equal(new[] { variable + "=\"\"" }, code);
        }
    }
}
