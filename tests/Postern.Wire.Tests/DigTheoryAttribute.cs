namespace Postern.Wire.Tests;

/// <summary>A theory that needs the real dig; skipped, with the reason, only when dig is not
/// installed and this is not CI. In CI (CI=true) it never skips, so a missing dig fails.</summary>
public sealed class DigTheoryAttribute : TheoryAttribute
{
    public DigTheoryAttribute()
    {
        Skip = SkipReason(Dig.Path, string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase));
    }

    public static string? SkipReason(string? digPath, bool isCi) => digPath is null && !isCi ? Dig.NotInstalledReason : null;
}
