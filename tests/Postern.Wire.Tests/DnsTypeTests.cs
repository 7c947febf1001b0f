namespace Postern.Wire.Tests;

public class DnsTypeTests
{
    [Theory]
    [InlineData("A", DnsType.A)]
    [InlineData("aaaa", DnsType.AAAA)]
    [InlineData(" HTTPS ", DnsType.HTTPS)]
    [InlineData("svcb", DnsType.SVCB)]
    [InlineData("ANY", DnsType.ANY)]
    [InlineData("SOA", DnsType.SOA)]
    [InlineData("TYPE65", (ushort)65)]
    [InlineData("type99", (ushort)99)]
    [InlineData("65535", (ushort)65535)]
    public void TryParse_KnownForms_GiveTheType(string text, ushort expected)
    {
        Assert.True(DnsType.TryParse(text, out ushort type));
        Assert.Equal(expected, type);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("TYPE0")]
    [InlineData("TYPE")]
    [InlineData("-1")]
    [InlineData("+5")]
    [InlineData("65536")]
    [InlineData("MXX")]
    [InlineData("TYPE 5")]
    public void TryParse_Nonsense_ReturnsFalse(string text)
    {
        Assert.False(DnsType.TryParse(text, out _));
    }

    [Theory]
    [InlineData(DnsType.A, "A")]
    [InlineData(DnsType.HTTPS, "HTTPS")]
    [InlineData(DnsType.OPT, "OPT")]
    [InlineData((ushort)99, "TYPE99")]
    public void Name_GivesMnemonicOrRfc3597Form(ushort type, string expected)
    {
        Assert.Equal(expected, DnsType.Name(type));
    }

    [Fact]
    public void Name_ParsesBackToTheSameType()
    {
        // Not OPT (41): Name gives "OPT" but TryParse does not take it, a pseudo-type that no
        // question asks for.
        foreach (ushort type in new ushort[] { 1, 6, 15, 28, 64, 65, 255, 256, 65535 })
        {
            Assert.True(DnsType.TryParse(DnsType.Name(type), out ushort parsed), DnsType.Name(type));
            Assert.Equal(type, parsed);
        }
    }
}
