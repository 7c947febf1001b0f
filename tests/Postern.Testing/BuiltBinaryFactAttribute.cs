using Xunit;

namespace Postern.Testing;

/// <summary>A root fact (see <see cref="RootFactAttribute"/>) that also needs a built binary in
/// build/bin. Outside CI a missing binary skips the test with the reason; in CI it is not
/// skipped, so the test runs and fails on the missing binary (<see cref="Repository.Binary"/>):
/// a test that needs a binary never passes without it.</summary>
public sealed class BuiltBinaryFactAttribute : FactAttribute
{
    public BuiltBinaryFactAttribute(string binary)
    {
        Skip ??= Privileges.WhyNotIntegration() ?? WhyNotBuilt(binary, Repository.Bin, Privileges.IsCi);
    }

    /// <summary>The skip reason for a missing binary, or null when the test must run: the binary is
    /// there, or this is CI, where a missing binary is a failure and not a skip.</summary>
    public static string? WhyNotBuilt(string binary, string bin, bool isCi)
    {
        if (isCi || File.Exists(Path.Combine(bin, binary)))
        {
            return null;
        }
        return $"{binary} is not built in {bin}: run `make build` first (in CI this fails)";
    }
}

/// <summary>A theory that needs root and a built binary (see <see cref="BuiltBinaryFactAttribute"/>).</summary>
public sealed class BuiltBinaryTheoryAttribute : TheoryAttribute
{
    public BuiltBinaryTheoryAttribute(string binary)
    {
        Skip ??= Privileges.WhyNotIntegration() ?? BuiltBinaryFactAttribute.WhyNotBuilt(binary, Repository.Bin, Privileges.IsCi);
    }
}
