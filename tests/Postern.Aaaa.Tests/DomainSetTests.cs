using Postern.Wire;

namespace Postern.Aaaa.Tests;

/// <summary>The --except-domain list: which names it takes, and that a name matches itself and
/// what is below it, label by label, never by a shared string suffix.</summary>
public class DomainSetTests
{
    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("Example.COM", "example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData("  www.example.com  ", "www.example.com")]
    [InlineData("com", "com")]
    [InlineData(".", "")]
    [InlineData("_dmarc.example.com", "_dmarc.example.com")]
    public void Normalize_AcceptsNames(string input, string expected) => Assert.Equal(expected, DomainSet.Normalize(input));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("..")]
    [InlineData("example..com")]
    [InlineData(".example.com")]
    [InlineData("example.com..")]
    [InlineData("exa mple.com")]
    [InlineData("exämple.com")]
    public void Normalize_RejectsWhatCannotBeAName(string input) => Assert.Null(DomainSet.Normalize(input));

    [Fact]
    public void Normalize_TakesA63CharacterLabel_AndRejectsA64CharacterOne()
    {
        string label63 = new('a', 63);

        Assert.Equal(label63 + ".com", DomainSet.Normalize(label63 + ".com"));
        Assert.Null(DomainSet.Normalize(label63 + "a.com"));
        Assert.Null(DomainSet.Normalize("www." + label63 + "a"));
    }

    [Fact]
    public void Normalize_Takes253Characters_AndRejects254()
    {
        // Four labels of 63 and a dot between each: 255 characters; cut down from there.
        string label = new('a', 63);
        string name253 = string.Join('.', label, label, label, new string('b', 61));
        string name254 = string.Join('.', label, label, label, new string('b', 62));
        Assert.Equal(253, name253.Length);

        Assert.Equal(name253, DomainSet.Normalize(name253));
        Assert.Equal(name253, DomainSet.Normalize(name253 + "."));
        Assert.Null(DomainSet.Normalize(name254));
    }

    [Fact]
    public void Constructor_RejectsABadName_NamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => new DomainSet(["example.com", "bad..name"]));

        Assert.Contains("bad..name", error.Message);
    }

    [Fact]
    public void Constructor_CountsNamesOnceAfterNormalizing()
    {
        var set = new DomainSet(["example.com", "EXAMPLE.com.", "example.org"]);

        Assert.Equal(2, set.Count);
    }

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("www.example.com", true)]
    [InlineData("a.b.c.example.com", true)]
    [InlineData("notexample.com", false)]
    [InlineData("www.notexample.com", false)]
    [InlineData("com", false)]
    [InlineData("example.com.evil.net", false)]
    [InlineData("example.org", false)]
    [InlineData("", false)]
    public void Matches_TheDomainAndItsSubdomainsOnly(string name, bool expected)
    {
        var set = new DomainSet(["example.com"]);

        Assert.Equal(expected, set.Matches(name));
    }

    [Fact]
    public void Matches_WithSeveralDomains_AnyOfThem()
    {
        var set = new DomainSet(["example.com", "corp.internal"]);

        Assert.True(set.Matches("host.corp.internal"));
        Assert.True(set.Matches("example.com"));
        Assert.False(set.Matches("internal"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("com")]
    [InlineData("www.example.com")]
    public void Matches_Root_MatchesEveryName(string name)
    {
        var set = new DomainSet(["."]);

        Assert.True(set.Matches(name));
    }

    [Fact]
    public void Matches_EmptySet_MatchesNothing()
    {
        var set = new DomainSet([]);

        Assert.Equal(0, set.Count);
        Assert.False(set.Matches("example.com"));
        Assert.False(set.Matches(""));
    }

    [Fact]
    public void ReadFile_SkipsBlankLinesAndComments()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["# kept domains", "", "example.com", "  corp.internal   # the office", "   ", "#x.org"]);

            Assert.Equal(["example.com", "corp.internal"], DomainSet.ReadFile(path).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
