using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Postern.Punch;

/// <summary>Highest-random-weight (rendezvous) hashing of the token over the reflectors: both
/// peers, given the same list in any order, pick the same one, and a fleet needs no shared state
/// (docs/punch-protocol.md).</summary>
public static class ServerChoice
{
    public const int DefaultPort = 3478;

    /// <summary>The server's name as hashed: lower case, with :3478 when it had no port.</summary>
    public static string Canonical(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? "[" + host.ToLowerInvariant() + "]" : host.ToLowerInvariant()) +
        ":" + port.ToString(CultureInfo.InvariantCulture);

    public static ulong Weight(ReadOnlySpan<byte> token, string canonical)
    {
        byte[] input = new byte[token.Length + Encoding.UTF8.GetByteCount(canonical)];
        token.CopyTo(input);
        Encoding.UTF8.GetBytes(canonical, input.AsSpan(token.Length));
        return BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(input));
    }

    /// <summary>The index of the server with the highest weight (ties, which need a SHA-256
    /// collision in 64 bits, go to the smaller name).</summary>
    public static int Choose(ReadOnlySpan<byte> token, IReadOnlyList<string> canonicalNames)
    {
        if (canonicalNames.Count == 0)
        {
            throw new ArgumentException("no servers to choose from", nameof(canonicalNames));
        }
        int best = 0;
        ulong bestWeight = Weight(token, canonicalNames[0]);
        for (int i = 1; i < canonicalNames.Count; i++)
        {
            ulong weight = Weight(token, canonicalNames[i]);
            if (weight > bestWeight ||
                (weight == bestWeight && string.CompareOrdinal(canonicalNames[i], canonicalNames[best]) < 0))
            {
                best = i;
                bestWeight = weight;
            }
        }
        return best;
    }
}
