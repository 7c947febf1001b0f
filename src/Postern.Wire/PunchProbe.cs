using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Postern.Wire;

/// <summary>One postern-punch datagram between the two peers (docs/punch-protocol.md, "Probes"):
/// 44 bytes of header and observed address, then the first 16 bytes of HMAC-SHA256 over them
/// under the key both peers derived from the pairing code. Reading checks the length, magic,
/// version and MAC before anything else is believed.</summary>
public struct PunchProbe
{
    public const int Length = 60;
    public const int MacOffset = 44;
    public const int MacLength = 16;
    public const byte Version = 1;
    public const uint Magic = 0x504E4348; // "PNCH"

    public PunchProbeKind Kind;
    public ushort Sequence;
    public ulong SenderId;
    public ulong Nonce;

    /// <summary>0 (none), 4 or 6: in an answer, the family of the address the probe came from.</summary>
    public byte ObservedFamily;
    public ushort ObservedPort;
    public Address16 ObservedAddress;

    [System.Runtime.CompilerServices.InlineArray(16)]
    public struct Address16
    {
        private byte _element0;
    }

    /// <summary>The observed address's 4 or 16 bytes (empty when there is none).</summary>
    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public readonly ReadOnlySpan<byte> Observed =>
        ObservedFamily switch
        {
            4 => ((ReadOnlySpan<byte>)ObservedAddress).Slice(0, 4),
            6 => ObservedAddress,
            _ => default,
        };

    /// <summary>Sets the observed address from 4 or 16 bytes (anything else clears it).</summary>
    public void SetObserved(ReadOnlySpan<byte> address, ushort port)
    {
        ObservedAddress = default;
        if (address.Length is not (4 or 16))
        {
            ObservedFamily = 0;
            ObservedPort = 0;
            return;
        }
        ObservedFamily = (byte)(address.Length == 4 ? 4 : 6);
        ObservedPort = port;
        address.CopyTo(ObservedAddress);
    }

    /// <summary>Writes the datagram, MAC included, into <paramref name="destination"/>; returns
    /// <see cref="Length"/>, or 0 when the destination is too small or the key is empty.</summary>
    public readonly int Write(Span<byte> destination, ReadOnlySpan<byte> key)
    {
        if (destination.Length < Length || key.IsEmpty)
        {
            return 0;
        }
        Span<byte> header = destination.Slice(0, MacOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header, Magic);
        header[4] = Version;
        header[5] = (byte)Kind;
        BinaryPrimitives.WriteUInt16BigEndian(header.Slice(6), Sequence);
        BinaryPrimitives.WriteUInt64BigEndian(header.Slice(8), SenderId);
        BinaryPrimitives.WriteUInt64BigEndian(header.Slice(16), Nonce);
        header[24] = ObservedFamily;
        header[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header.Slice(26), ObservedPort);
        ((ReadOnlySpan<byte>)ObservedAddress).CopyTo(header.Slice(28));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, header, mac);
        mac.Slice(0, MacLength).CopyTo(destination.Slice(MacOffset));
        return Length;
    }

    /// <summary>Reads a datagram; false for anything that is not a well-formed probe under
    /// <paramref name="key"/>. <paramref name="isForged"/> tells a probe-shaped datagram (right
    /// length, magic and version) whose MAC does not verify from a datagram that is no probe at
    /// all, which the caller may pass on (a forwarded program's traffic).</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, out PunchProbe probe, out bool isForged)
    {
        probe = default;
        isForged = false;
        if (!LooksLikeProbe(datagram))
        {
            return false;
        }
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, datagram.Slice(0, MacOffset), mac);
        if (!CryptographicOperations.FixedTimeEquals(mac.Slice(0, MacLength), datagram.Slice(MacOffset, MacLength)))
        {
            isForged = true;
            return false;
        }
        byte kind = datagram[5];
        byte family = datagram[24];
        if (kind is < (byte)PunchProbeKind.Probe or > (byte)PunchProbeKind.SwitchAnswer || family is not (0 or 4 or 6))
        {
            // Authentic but not of this version's making: ignore, never guess.
            return false;
        }
        probe.Kind = (PunchProbeKind)kind;
        probe.Sequence = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(6));
        probe.SenderId = BinaryPrimitives.ReadUInt64BigEndian(datagram.Slice(8));
        probe.Nonce = BinaryPrimitives.ReadUInt64BigEndian(datagram.Slice(16));
        probe.ObservedFamily = family;
        probe.ObservedPort = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(26));
        datagram.Slice(28, 16).CopyTo(probe.ObservedAddress);
        return true;
    }

    /// <summary>Length, magic and version: the cheap test before the MAC.</summary>
    public static bool LooksLikeProbe(ReadOnlySpan<byte> datagram) =>
        datagram.Length == Length &&
        BinaryPrimitives.ReadUInt32BigEndian(datagram) == Magic &&
        datagram[4] == Version;
}
