namespace Postern.Wire;

/// <summary>STUN attribute types (IANA "STUN Attributes" registry) that Postern reads or writes,
/// and the rules common to all attributes.</summary>
public static class StunAttribute
{
    // RFC 8489 section 18.3.1, comprehension-required (0x0000-0x7FFF)
    public const ushort MappedAddress = 0x0001;
    public const ushort ResponseAddress = 0x0002; // RFC 3489 only; never honoured (it redirects answers)
    public const ushort ChangeRequest = 0x0003;   // RFC 5780 section 7.2 (and RFC 3489)
    public const ushort SourceAddress = 0x0004;   // RFC 3489 section 11.2.5
    public const ushort ChangedAddress = 0x0005;  // RFC 3489 section 11.2.3
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort ErrorCode = 0x0009;
    public const ushort UnknownAttributes = 0x000A;
    public const ushort Realm = 0x0014;
    public const ushort Nonce = 0x0015;
    public const ushort MessageIntegritySha256 = 0x001C;
    public const ushort PasswordAlgorithm = 0x001D;
    public const ushort Userhash = 0x001E;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort Padding = 0x0026;      // RFC 5780 section 7.6
    public const ushort ResponsePort = 0x0027; // RFC 5780 section 7.5

    // RFC 8489 section 18.3.2, comprehension-optional (0x8000-0xFFFF)
    public const ushort PasswordAlgorithms = 0x8002;
    public const ushort AlternateDomain = 0x8003;
    public const ushort Software = 0x8022;
    public const ushort AlternateServer = 0x8023;
    public const ushort Fingerprint = 0x8028;
    public const ushort ResponseOrigin = 0x802B; // RFC 5780 section 7.3
    public const ushort OtherAddress = 0x802C;   // RFC 5780 section 7.4

    // Postern's rendezvous (docs/punch-protocol.md), comprehension-optional so that a server
    // that does not know them still answers a plain Binding success.
    public const ushort PosternToken = 0xC0D0;
    public const ushort PosternLocal = 0xC0D1;
    public const ushort PosternPeer = 0xC0D2;
    public const ushort PosternPeerLocal = 0xC0D3;
    public const ushort PosternInfo = 0xC0D4;
    public const ushort PosternPeerInfo = 0xC0D5;

    // DNS-SD registration of WireGuard endpoints (docs/punch-protocol.md, "DNS-SD registration").
    public const ushort PosternWgKey = 0xC0D6;
    public const ushort PosternWgTime = 0xC0D7;
    public const ushort PosternWgMac = 0xC0D8;
    public const ushort PosternWgEndpoint = 0xC0D9;

    /// <summary>The value of POSTERN-WG-KEY: a WireGuard (X25519) public key.</summary>
    public const int PosternWgKeyLength = 32;

    /// <summary>The value of POSTERN-WG-TIME: milliseconds since the Unix epoch, 64 bits.</summary>
    public const int PosternWgTimeLength = 8;

    /// <summary>The value of POSTERN-WG-MAC: a whole HMAC-SHA256.</summary>
    public const int PosternWgMacLength = 32;

    /// <summary>The value of POSTERN-INFO and POSTERN-PEER-INFO: 8 bytes the reflector passes on unread.</summary>
    public const int PosternInfoLength = 8;

    /// <summary>The value of POSTERN-TOKEN: the first 16 bytes of a SHA-256 of the pairing code.</summary>
    public const int PosternTokenLength = 16;

    /// <summary>At most this many POSTERN-LOCALs are read from a request, and as many
    /// POSTERN-PEER-LOCALs from an answer.</summary>
    public const int MaxPosternLocals = 4;

    /// <summary>Address family codes of MAPPED-ADDRESS and its kin (RFC 8489 section 14.1).</summary>
    public const byte FamilyIpv4 = 0x01;
    public const byte FamilyIpv6 = 0x02;

    /// <summary>CHANGE-REQUEST flags (RFC 5780 section 7.2).</summary>
    public const uint ChangeIpFlag = 0x04;
    public const uint ChangePortFlag = 0x02;

    /// <summary>RFC 8489 section 14.7: the CRC-32 is XOR'ed with this ("STUN").</summary>
    public const uint FingerprintXor = 0x5354554E;

    public const int HeaderLength = 4;

    /// <summary>RFC 8489 section 14: values of 0x0000-0x7FFF must be understood or the request
    /// refused with 420.</summary>
    public static bool IsComprehensionRequired(ushort type) => type < 0x8000;

    /// <summary>The comprehension-required attributes a Binding server understands. Those about
    /// credentials are understood and ignored: this server has no credentials to check.</summary>
    public static bool IsUnderstood(ushort type) => type switch
    {
        MappedAddress or ChangeRequest or Username or MessageIntegrity or ErrorCode or UnknownAttributes or
        Realm or Nonce or MessageIntegritySha256 or PasswordAlgorithm or Userhash or XorMappedAddress or
        Padding => true,
        _ => !IsComprehensionRequired(type),
    };

    /// <summary>RFC 8489 section 14: values are padded to a multiple of four bytes.</summary>
    public static int Padded(int length) => (length + 3) & ~3;
}
