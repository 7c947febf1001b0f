using System.Net;
using Postern.Socks;
using Postern.Wire;

namespace Postern.Socks.Tests;

public class SocksPolicyTests
{
    private static SocksPolicy Policy(string? users = null, int total = 3, int perUser = 2, params string[] allow) => new(new SocksOptions
    {
        UsersFile = users,
        MaxAssociations = total,
        MaxAssociationsPerUser = perUser,
        Allow = allow.Select(a => AddressPrefix.TryParse(a, out AddressPrefix? p) ? p! : throw new ArgumentException(a)).ToArray(),
    });

    [Fact]
    public void Without_allow_rules_everyone_is_served()
    {
        SocksPolicy policy = Policy();
        Assert.True(policy.Allows(IPAddress.Parse("203.0.113.40").GetAddressBytes()));
        Assert.True(policy.Allows(IPAddress.Parse("2001:db8::1").GetAddressBytes()));
    }

    [Fact]
    public void Allow_rules_serve_their_prefixes_only()
    {
        SocksPolicy policy = Policy(allow: new[] { "203.0.113.32/28", "2001:db8:1::/48" });
        Assert.True(policy.Allows(IPAddress.Parse("203.0.113.40").GetAddressBytes()));
        Assert.False(policy.Allows(IPAddress.Parse("203.0.113.56").GetAddressBytes()));
        Assert.True(policy.Allows(IPAddress.Parse("2001:db8:1::7").GetAddressBytes()));
        Assert.False(policy.Allows(IPAddress.Parse("2001:db8:2::7").GetAddressBytes()));
    }

    [Fact]
    public void With_users_the_password_method_is_required()
    {
        SocksPolicy policy = Policy(users: "/etc/postern/socks-users");
        Assert.Equal(Socks5.MethodUsernamePassword, policy.ChooseMethod(new byte[] { 5, 2, 0, 2 }, allowed: true));
        Assert.Equal(Socks5.MethodNoAcceptable, policy.ChooseMethod(new byte[] { 5, 1, 0 }, allowed: true));
    }

    [Fact]
    public void Without_users_no_authentication_is_chosen_even_when_a_password_is_offered()
    {
        SocksPolicy policy = Policy();
        Assert.Equal(Socks5.MethodNoAuthentication, policy.ChooseMethod(new byte[] { 5, 2, 0, 2 }, allowed: true));
        Assert.Equal(Socks5.MethodNoAcceptable, policy.ChooseMethod(new byte[] { 5, 1, 2 }, allowed: true));
    }

    [Fact]
    public void A_client_outside_the_rules_is_never_asked_for_a_password()
    {
        // It gets "no authentication" so that its request can be answered 0x02, not a password prompt.
        SocksPolicy policy = Policy(users: "/etc/postern/socks-users");
        Assert.Equal(Socks5.MethodNoAuthentication, policy.ChooseMethod(new byte[] { 5, 2, 0, 2 }, allowed: false));
        Assert.Equal(Socks5.MethodNoAcceptable, policy.ChooseMethod(new byte[] { 5, 1, 2 }, allowed: false));
    }

    [Fact]
    public void Associations_are_limited_per_user_and_in_total_and_given_back()
    {
        SocksPolicy policy = Policy(total: 3, perUser: 2);
        Assert.Null(policy.Admit("alice"));
        Assert.Null(policy.Admit("alice"));
        Assert.Equal(Refusal.TooManyUserAssociations, policy.Admit("alice"));
        Assert.Null(policy.Admit("bob"));
        Assert.Equal(Refusal.TooManyAssociations, policy.Admit("carol"));
        Assert.Equal(3, policy.Associations);
        policy.Release("alice");
        Assert.Null(policy.Admit("carol"));
        policy.Release("nobody"); // never admitted: changes nothing
        Assert.Equal(3, policy.Associations);
    }

    [Fact]
    public void Every_refusal_has_a_name_and_those_after_a_request_a_failure_code()
    {
        var names = new HashSet<string>();
        foreach (Refusal refusal in Enum.GetValues<Refusal>())
        {
            Assert.NotEqual("other", SocksPolicy.NameOf(refusal));
            Assert.True(names.Add(SocksPolicy.NameOf(refusal)));
            byte reply = SocksPolicy.ReplyFor(refusal);
            bool beforeRequest = refusal is Refusal.NoMethod or Refusal.AuthFailed or Refusal.TooManyConnections or Refusal.HandshakeTimeout;
            Assert.Equal(beforeRequest, reply == 0);
            Assert.NotEqual(Socks5.ReplySucceeded, reply == 0 ? (byte)0xFF : reply);
        }
        Assert.Equal(Socks5.ReplyNotAllowed, SocksPolicy.ReplyFor(Refusal.NotAllowed));
        Assert.Equal(Socks5.ReplyCommandNotSupported, SocksPolicy.ReplyFor(Refusal.CommandNotSupported));
        Assert.Equal(Socks5.ReplyAddressTypeNotSupported, SocksPolicy.ReplyFor(Refusal.AddressType));
        Assert.Equal(Socks5.ReplyConnectionRefused, SocksPolicy.ReplyFor(Refusal.ConnectionRefused));
    }

    [Fact]
    public void Every_drop_reason_has_its_own_name()
    {
        var names = Enum.GetValues<UdpDrop>().Select(SocksCounters.NameOf).ToList();
        Assert.DoesNotContain("other", names);
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
