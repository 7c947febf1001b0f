namespace Postern.Arm64.Integration.Tests;

/// <summary>A fact that needs the arm64 cross toolchain and qemu-user: skipped, with the reason
/// shown, only outside CI and when one of them is missing (in CI it fails instead).</summary>
public sealed class Arm64FactAttribute : FactAttribute
{
    public Arm64FactAttribute()
    {
        Skip ??= Arm64Tools.WhyNot();
    }
}

/// <summary>A theory that needs the arm64 cross toolchain and qemu-user (see <see cref="Arm64FactAttribute"/>).</summary>
public sealed class Arm64TheoryAttribute : TheoryAttribute
{
    public Arm64TheoryAttribute()
    {
        Skip ??= Arm64Tools.WhyNot();
    }
}
