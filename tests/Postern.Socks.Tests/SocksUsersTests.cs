using System.Text;
using Postern.Socks;

namespace Postern.Socks.Tests;

public class SocksUsersTests
{
    [Fact]
    public void Users_are_read_with_comments_blank_lines_and_colons_in_passwords()
    {
        SocksUsers? users = SocksUsers.Parse("# relay users\nalice:s3cret\n\r\nbob:a:b:c\r\n", "users", out string? problem);
        Assert.Null(problem);
        Assert.Equal(2, users!.Count);
        Assert.Equal("alice", users.Check("alice"u8, "s3cret"u8));
        Assert.Equal("bob", users.Check("bob"u8, "a:b:c"u8));
        Assert.Null(users.Check("alice"u8, "s3cre"u8));
        Assert.Null(users.Check("alice"u8, "s3cret!"u8));
        Assert.Null(users.Check("mallory"u8, "s3cret"u8));
    }

    [Theory]
    [InlineData("alice\n", "--users users line 1: expected user:password")]
    [InlineData("ok:1\n:nopass\n", "--users users line 2: expected user:password")]
    [InlineData("alice:\n", "--users users line 1: expected user:password")]
    [InlineData("alice:1\nalice:2\n", "--users users line 2: user 'alice' is listed twice")]
    [InlineData("# nobody\n", "--users users: no users in the file")]
    public void A_bad_file_is_one_sentence_naming_the_line(string text, string expected)
    {
        Assert.Null(SocksUsers.Parse(text, "users", out string? problem));
        Assert.Equal(expected, problem);
    }

    [Fact]
    public void Names_and_passwords_longer_than_rfc_1929_allows_are_refused()
    {
        Assert.Null(SocksUsers.Parse("alice:" + new string('x', 256), "users", out string? problem));
        Assert.Contains("at most 255 bytes", problem);
    }

    [Fact]
    public void A_missing_file_is_one_sentence()
    {
        Assert.Null(SocksUsers.Load("/nonexistent/postern-socks-users", out string? problem));
        Assert.StartsWith("--users /nonexistent/postern-socks-users: ", problem);
    }

    [Fact]
    public void Utf8_names_match_byte_for_byte()
    {
        SocksUsers users = SocksUsers.Parse("jörg:pä55\n", "users", out _)!;
        Assert.Equal("jörg", users.Check(Encoding.UTF8.GetBytes("jörg"), Encoding.UTF8.GetBytes("pä55")));
    }
}
