using Postern.Wire;

namespace Postern.Socks;

/// <summary>The decisions a session asks for, without sockets: whether a client's address is
/// served, which method its greeting gets, and whether another association is admitted (in
/// total and per user). Limits are counted here and released when an association ends.</summary>
public sealed class SocksPolicy
{
    private readonly AddressPrefix[] _allow;
    private readonly Dictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private int _associations;

    public SocksPolicy(SocksOptions options)
    {
        _allow = options.Allow.ToArray();
        MaxAssociations = options.MaxAssociations;
        MaxAssociationsPerUser = options.MaxAssociationsPerUser;
        RequiresPassword = options.UsersFile is not null;
    }

    public int MaxAssociations { get; }

    public int MaxAssociationsPerUser { get; }

    public bool RequiresPassword { get; }

    public int Associations => Volatile.Read(ref _associations);

    /// <summary>Whether a client at <paramref name="address"/> (4 or 16 bytes, IPv4 never in
    /// mapped form) is served: every address when no --allow is given.</summary>
    public bool Allows(ReadOnlySpan<byte> address)
    {
        if (_allow.Length == 0)
        {
            return true;
        }
        foreach (AddressPrefix prefix in _allow)
        {
            if (prefix.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Section 3: the method for a complete greeting. A client outside --allow gets "no
    /// authentication" when it offers it, so that its request can be answered "not allowed by
    /// ruleset" (0x02) without asking for a password; otherwise it gets 0xFF.</summary>
    public byte ChooseMethod(ReadOnlySpan<byte> greeting, bool allowed)
    {
        byte wanted = RequiresPassword && allowed ? Socks5.MethodUsernamePassword : Socks5.MethodNoAuthentication;
        return Socks5.Offers(greeting, wanted) ? wanted : Socks5.MethodNoAcceptable;
    }

    /// <summary>Takes one association for <paramref name="user"/> if the limits allow it.</summary>
    public Refusal? Admit(string user)
    {
        lock (_gate)
        {
            if (_associations >= MaxAssociations)
            {
                return Refusal.TooManyAssociations;
            }
            _perUser.TryGetValue(user, out int held);
            if (held >= MaxAssociationsPerUser)
            {
                return Refusal.TooManyUserAssociations;
            }
            _perUser[user] = held + 1;
            _associations++;
            return null;
        }
    }

    /// <summary>Gives back what <see cref="Admit"/> took.</summary>
    public void Release(string user)
    {
        lock (_gate)
        {
            if (_perUser.TryGetValue(user, out int held))
            {
                if (held <= 1)
                {
                    _perUser.Remove(user);
                }
                else
                {
                    _perUser[user] = held - 1;
                }
                _associations--;
            }
        }
    }

    /// <summary>Section 6's reply for a refusal; 0 for those that get no request reply (the
    /// method selection says 0xFF, or the connection was closed before a request came).</summary>
    public static byte ReplyFor(Refusal refusal) => refusal switch
    {
        Refusal.NotAllowed => Socks5.ReplyNotAllowed,
        Refusal.CommandNotSupported => Socks5.ReplyCommandNotSupported,
        Refusal.AddressType => Socks5.ReplyAddressTypeNotSupported,
        Refusal.TooManyAssociations or Refusal.TooManyUserAssociations => Socks5.ReplyNotAllowed,
        Refusal.ResolveFailed or Refusal.HostUnreachable => Socks5.ReplyHostUnreachable,
        Refusal.NetworkUnreachable => Socks5.ReplyNetworkUnreachable,
        Refusal.ConnectionRefused => Socks5.ReplyConnectionRefused,
        Refusal.Malformed or Refusal.ConnectFailed or Refusal.UdpSetupFailed => Socks5.ReplyGeneralFailure,
        _ => 0,
    };

    public static string NameOf(Refusal refusal) => refusal switch
    {
        Refusal.NotAllowed => "not-allowed",
        Refusal.NoMethod => "no-method",
        Refusal.AuthFailed => "auth-failed",
        Refusal.Malformed => "malformed",
        Refusal.CommandNotSupported => "command-not-supported",
        Refusal.AddressType => "address-type",
        Refusal.TooManyConnections => "too-many-connections",
        Refusal.TooManyAssociations => "too-many-associations",
        Refusal.TooManyUserAssociations => "too-many-user-associations",
        Refusal.HandshakeTimeout => "handshake-timeout",
        Refusal.ResolveFailed => "resolve-failed",
        Refusal.NetworkUnreachable => "network-unreachable",
        Refusal.HostUnreachable => "host-unreachable",
        Refusal.ConnectionRefused => "connection-refused",
        Refusal.ConnectFailed => "connect-failed",
        Refusal.UdpSetupFailed => "udp-setup-failed",
        _ => "other",
    };
}
