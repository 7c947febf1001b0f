namespace Postern.Wire.Tests;

public sealed class DigTheoryAttributeTests
{
    [Fact]
    public void Without_dig_it_skips_with_the_reason_outside_ci()
    {
        Assert.Equal(Dig.NotInstalledReason, DigTheoryAttribute.SkipReason(digPath: null, isCi: false));
    }

    [Fact]
    public void Without_dig_it_does_not_skip_in_ci()
    {
        Assert.Null(DigTheoryAttribute.SkipReason(digPath: null, isCi: true));
    }

    [Fact]
    public void With_dig_it_runs()
    {
        Assert.Null(DigTheoryAttribute.SkipReason("/usr/bin/dig", isCi: false));
    }
}
