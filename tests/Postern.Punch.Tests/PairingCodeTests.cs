using Postern.Punch;

namespace Postern.Punch.Tests;

public class PairingCodeTests
{
    [Fact]
    public void A_generated_code_has_16_characters_of_the_alphabet_and_80_bits()
    {
        Assert.Equal(80, PairingCode.Bits);
        string code = PairingCode.Generate();
        Assert.Equal(16, code.Length);
        Assert.All(code, c => Assert.Contains(c, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"));
        Assert.Equal(code, PairingCode.Normalize(PairingCode.Format(code), out _));
    }

    [Fact]
    public void Generated_codes_differ_and_use_every_character()
    {
        var codes = new HashSet<string>();
        var characters = new HashSet<char>();
        for (int i = 0; i < 2000; i++)
        {
            string code = PairingCode.Generate();
            Assert.True(codes.Add(code), $"{code} came twice");
            characters.UnionWith(code);
        }
        Assert.Equal(32, characters.Count);
    }

    [Fact]
    public void Format_groups_four_by_four()
    {
        Assert.Equal("K3F9-7QXA-2MRT-P8DW", PairingCode.Format("K3F97QXA2MRTP8DW"));
    }

    [Theory]
    [InlineData("k3f9-7qxa-2mrt-p8dw", "K3F97QXA2MRTP8DW")]
    [InlineData(" K3F9 7QXA 2MRT P8DW ", "K3F97QXA2MRTP8DW")]
    [InlineData("IL0O-0000-0000-0000", "1100000000000000")]
    public void Normalize_forgives_what_people_do(string typed, string expected)
    {
        Assert.Equal(expected, PairingCode.Normalize(typed, out string? problem));
        Assert.Null(problem);
    }

    [Theory]
    [InlineData("K3F9-7QXA-2MRT-P8D", "16 characters")]
    [InlineData("K3F9-7QXA-2MRT-P8DWX", "16 characters")]
    [InlineData("K3F9-7QXA-2MRT-P8DU", "'U'")]
    [InlineData("K3F9-7QXA-2MRT-P8D!", "'!'")]
    public void Normalize_refuses_what_is_no_code_in_one_sentence(string typed, string named)
    {
        Assert.Null(PairingCode.Normalize(typed, out string? problem));
        Assert.Contains(named, problem);
        Assert.StartsWith("--code: ", problem);
    }

    [Fact]
    public void Token_and_key_are_fixed_functions_of_the_code_and_differ_from_each_other()
    {
        byte[] token = PairingCode.Token("K3F97QXA2MRTP8DW");
        byte[] key = PairingCode.ProbeKey("K3F97QXA2MRTP8DW");
        Assert.Equal(16, token.Length);
        Assert.Equal(32, key.Length);
        Assert.Equal(token, PairingCode.Token("K3F97QXA2MRTP8DW"));
        Assert.NotEqual(token, key.AsSpan(0, 16).ToArray());
        Assert.NotEqual(token, PairingCode.Token("K3F97QXA2MRTP8DX"));
        // The golden value pins the derivation of docs/punch-protocol.md: SHA-256 of the label and the code.
        byte[] expected = System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.ASCII.GetBytes("postern-punch token v1\0K3F97QXA2MRTP8DW"));
        Assert.Equal(expected.AsSpan(0, 16).ToArray(), token);
    }
}
