using System.Net;
using Postern.Wire;

namespace Postern.Map;

/// <summary>What one Binding answer told: the mapping, the server's RFC 5780 other address (empty
/// without one), and the socket's own local endpoint (the private side of the mapping).</summary>
public readonly record struct StunAnswer(StunAddress Mapped, StunAddress Other, IPEndPoint Local);
