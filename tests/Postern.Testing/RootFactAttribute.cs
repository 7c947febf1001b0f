using Xunit;

namespace Postern.Testing;

/// <summary>A fact that needs root and real kernel features: skipped, with the reason shown, only
/// outside CI and without root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        Skip ??= Privileges.WhyNotIntegration();
    }
}

/// <summary>A theory that needs root and real kernel features (see <see cref="RootFactAttribute"/>).</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        Skip ??= Privileges.WhyNotIntegration();
    }
}
