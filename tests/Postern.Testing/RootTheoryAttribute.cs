using Xunit;

namespace Postern.Testing;

/// <summary>A theory that needs root and real kernel features: skipped, with the reason shown, only
/// outside CI and without root (as <see cref="RootFactAttribute"/>).</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        Skip ??= Privileges.WhyNotIntegration();
    }
}
