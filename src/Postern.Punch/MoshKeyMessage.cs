using System.Buffers.Binary;
using System.Text;

namespace Postern.Punch;

/// <summary>The body of a sealed MoshKey message (docs/punch-protocol.md, "Sealed messages"):
/// <code>
///  0 8  exchange id (random, one per mosh-server; the ack echoes it)
///  8 2  mosh-server's UDP port on the server side's loopback
/// 10 1  key length n
/// 11 n  the session key as mosh-server printed it (22 characters of base64)
/// </code>
/// The ack's body is the 8-byte exchange id alone.</summary>
public readonly record struct MoshKeyMessage(ulong Id, int Port, string Key)
{
    public const int AckLength = 8;
    private const int KeyOffset = 11;

    public int Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Id);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(8), (ushort)Port);
        int length = Encoding.ASCII.GetBytes(Key, destination.Slice(KeyOffset));
        destination[10] = (byte)length;
        return KeyOffset + length;
    }

    /// <summary>Reads a body; false unless it is well formed and the key looks like mosh's (so
    /// nothing else ever reaches mosh-client's environment).</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out MoshKeyMessage message)
    {
        message = default;
        if (body.Length < KeyOffset || body.Length != KeyOffset + body[10])
        {
            return false;
        }
        string key = Encoding.ASCII.GetString(body.Slice(KeyOffset));
        int port = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(8));
        if (!MoshServerOutput.IsSessionKey(key) || port == 0)
        {
            return false;
        }
        message = new MoshKeyMessage(BinaryPrimitives.ReadUInt64BigEndian(body), port, key);
        return true;
    }

    public static void WriteAck(ulong id, Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination, id);

    public static bool TryReadAck(ReadOnlySpan<byte> body, out ulong id)
    {
        id = body.Length == AckLength ? BinaryPrimitives.ReadUInt64BigEndian(body) : 0;
        return body.Length == AckLength;
    }

    /// <summary>Never the key: a record's generated ToString would print it into a log.</summary>
    public override string ToString() => $"mosh key message {Id:x16}, port {Port}";
}
