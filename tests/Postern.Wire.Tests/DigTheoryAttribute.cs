namespace Postern.Wire.Tests;

/// <summary>A theory that needs the real dig; skipped, with the reason, only when dig is not
/// installed.</summary>
public sealed class DigTheoryAttribute : TheoryAttribute
{
    public DigTheoryAttribute()
    {
        if (Dig.Path is null)
        {
            Skip = Dig.NotInstalledReason;
        }
    }
}
