using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>A test that needs a built binary never passes without it: it skips with the reason
/// outside CI and runs (and fails) in CI.</summary>
public sealed class BuiltBinaryFactTests
{
    [Fact]
    public void A_missing_binary_skips_with_the_reason_outside_ci()
    {
        string? reason = BuiltBinaryFactAttribute.WhyNotBuilt("postern-none", "/nonexistent/bin", isCi: false);
        Assert.NotNull(reason);
        Assert.Contains("postern-none", reason, StringComparison.Ordinal);
        Assert.Contains("make build", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_binary_is_not_skipped_in_ci()
    {
        Assert.Null(BuiltBinaryFactAttribute.WhyNotBuilt("postern-none", "/nonexistent/bin", isCi: true));
    }

    [Fact]
    public void A_missing_binary_fails_the_test_body()
    {
        Assert.Throws<FileNotFoundException>(() => Repository.Binary("postern-none"));
    }
}
