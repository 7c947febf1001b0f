using Postern.Wire;

namespace Postern.Reflector;

/// <summary>One published endpoint: the WireGuard public key (32 bytes), where its last accepted
/// register datagram came from, and that registration's timestamp (Unix milliseconds).</summary>
public readonly record struct WireGuardRegistration(byte[] Key, StunAddress Endpoint, long Time);
