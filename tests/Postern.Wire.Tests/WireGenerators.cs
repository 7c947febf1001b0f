using FsCheck;
using FsCheck.Fluent;

namespace Postern.Wire.Tests;

/// <summary>FsCheck generators for DNS names, queries and packets.</summary>
public static class WireGenerators
{
    public static readonly Gen<byte> AnyByte = Gen.Choose(0, 255).Select(i => (byte)i);

    public static readonly Gen<ushort> AnyUInt16 = Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);

    public static readonly Gen<uint> AnyUInt32 =
        from high in AnyUInt16
        from low in AnyUInt16
        select ((uint)high << 16) | low;

    public static readonly Gen<bool> AnyBool = Gen.Elements(false, true);

    public static Gen<byte[]> Bytes(int minLength, int maxLength) =>
        Gen.Choose(minLength, maxLength).SelectMany(length => AnyByte.ArrayOf(length));

    /// <summary>A label of 1 to 63 random bytes: anything may appear in a label, dots and zeros
    /// included.</summary>
    public static readonly Gen<byte[]> Label = Bytes(1, 63);

    /// <summary>Labels whose name is at most 255 octets on the wire: a few short ones, or as many
    /// as fit, so that names near the limit come up often.</summary>
    public static readonly Gen<byte[][]> Labels = Gen.OneOf(
        Gen.Choose(0, 4).SelectMany(count => Label.ArrayOf(count)).Select(FitTo255),
        Gen.Choose(1, 63).ArrayOf(8).SelectMany(lengths => FitLengthsTo255(lengths)));

    private static Gen<byte[][]> FitLengthsTo255(int[] lengths)
    {
        var kept = new List<int>();
        int wire = 1;
        foreach (int length in lengths)
        {
            if (wire + length + 1 > DnsReader.MaxNameLength)
            {
                // Top up with one last label that makes the name exactly 255 octets.
                int rest = DnsReader.MaxNameLength - wire - 1;
                if (rest >= 1)
                {
                    kept.Add(Math.Min(rest, 63));
                }
                break;
            }
            kept.Add(length);
            wire += length + 1;
        }
        return Gen.CollectToArray(kept.Select(length => AnyByte.ArrayOf(length)));
    }

    private static byte[][] FitTo255(byte[][] labels)
    {
        int wire = 1;
        int count = 0;
        while (count < labels.Length && wire + labels[count].Length + 1 <= DnsReader.MaxNameLength)
        {
            wire += labels[count].Length + 1;
            count++;
        }
        return labels[..count];
    }

    public static readonly Gen<QuerySpec> Query =
        from labels in Labels
        from id in AnyUInt16
        from flags in AnyUInt16
        from type in AnyUInt16
        from @class in AnyUInt16
        from hasOpt in AnyBool
        from udpSize in AnyUInt16
        from extendedRcode in AnyByte
        from version in AnyByte
        from dnssecOk in AnyBool
        from options in Gen.OneOf(Gen.Constant(Array.Empty<byte>()), Bytes(1, 40))
        from includeSoa in AnyBool
        from negativeTtl in AnyUInt32
        select new QuerySpec(labels, id, (ushort)(flags & ~(DnsHeader.FlagQR | DnsHeader.OpcodeMask)), type, @class,
            hasOpt, udpSize, extendedRcode, version, dnssecOk, options, includeSoa, negativeTtl);

    /// <summary>A golden query with one to six random edits: byte changes (often to bytes that
    /// matter in names: 0x00, 0x3F, 0x40, 0xC0, 0xFF), insertions, deletions and truncations.</summary>
    public static readonly Gen<byte[]> MutatedGolden =
        from golden in Gen.Elements(GoldenQueries.All.Select(q => q.Bytes).ToArray())
        from edits in Gen.Choose(1, 6).SelectMany(count => Edit.ArrayOf(count))
        select Apply(golden, edits);

    private static readonly Gen<(int Kind, int Position, byte Value)> Edit =
        from kind in Gen.Choose(0, 4)
        from position in Gen.Choose(0, 80)
        from value in Gen.OneOf(AnyByte, Gen.Elements<byte>(0x00, 0x01, 0x0C, 0x3F, 0x40, 0x80, 0xC0, 0xFF))
        select (kind, position, value);

    public static byte[] Apply(byte[] original, (int Kind, int Position, byte Value)[] edits)
    {
        var bytes = new List<byte>(original);
        foreach ((int kind, int position, byte value) in edits)
        {
            int at = bytes.Count == 0 ? 0 : position % bytes.Count;
            switch (kind)
            {
                case 0:
                case 1:
                    if (bytes.Count != 0)
                    {
                        bytes[at] = value;
                    }
                    break;
                case 2:
                    bytes.Insert(at, value);
                    break;
                case 3:
                    if (bytes.Count != 0)
                    {
                        bytes.RemoveAt(at);
                    }
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>A header that gets past the count checks (QR clear, opcode 0, one question, only
    /// additional records) in front of random bytes, so that the name and record readers see most
    /// of the random input.</summary>
    public static readonly Gen<byte[]> PlausibleQuery =
        from id in AnyUInt16
        from additionals in Gen.Choose(0, 3)
        from tail in Bytes(0, 300)
        select new DnsMessageBuilder().Header(id, DnsHeader.FlagRD, 1, 0, 0, (ushort)additionals).Bytes(tail).ToArray();

    private static readonly Gen<byte[]> LabelToken = Bytes(1, 5).Select(label => (byte[])[(byte)label.Length, .. label]);

    /// <summary>What ends a name: the root; a pointer anywhere near the start (into the header, at
    /// itself, forwards or backwards); or a reserved label type.</summary>
    private static readonly Gen<byte[]> NameEnd = Gen.Frequency(
        (1, Gen.Constant(new byte[] { 0 })),
        (3, Gen.Choose(0, 48).Select(offset => new byte[] { 0xC0, (byte)offset })),
        (1, Gen.Choose(0x40, 0xBF).Select(b => new byte[] { (byte)b, 0x61, 0 })));

    /// <summary>Zero to three short labels and an end.</summary>
    private static readonly Gen<byte[][]> TokenName =
        from labels in Gen.Choose(0, 3).SelectMany(count => LabelToken.ArrayOf(count))
        from end in NameEnd
        select (byte[][])[.. labels, end];

    /// <summary>A query whose question name and OPT owner are made of name tokens, with a random
    /// ID and flags where pointers into the header land. The only pointers a question name can
    /// validly hold are into the header, which the reply rewrites.</summary>
    public static readonly Gen<byte[]> CompressedNameQuery =
        from id in AnyUInt16
        from flags in AnyUInt16
        from name in TokenName
        from hasOpt in AnyBool
        from owner in Gen.OneOf(Gen.Constant(new[] { new byte[] { 0 } }), TokenName)
        select BuildTokenQuery(id, flags, name, hasOpt, owner);

    private static byte[] BuildTokenQuery(ushort id, ushort flags, byte[][] name, bool hasOpt, byte[][] owner)
    {
        var builder = new DnsMessageBuilder().Header(id, (ushort)(flags & ~(DnsHeader.FlagQR | DnsHeader.OpcodeMask)),
            1, 0, 0, (ushort)(hasOpt ? 1 : 0));
        foreach (byte[] token in name)
        {
            builder.Bytes(token);
        }
        builder.UInt16(DnsType.A).UInt16(DnsType.ClassIN);
        if (hasOpt)
        {
            foreach (byte[] token in owner)
            {
                builder.Bytes(token);
            }
            builder.RecordAfterOwner(DnsType.OPT, 1232, 0, []);
        }
        return builder.ToArray();
    }

    public static readonly Gen<byte[]> AnyMessage = Gen.OneOf(Bytes(0, 600), MutatedGolden, PlausibleQuery, CompressedNameQuery);

    public static readonly Gen<PacketSpec> Packet =
        from version in Gen.Elements(4, 6)
        from source in AnyByte.ArrayOf(version == 4 ? 4 : 16)
        from destination in AnyByte.ArrayOf(version == 4 ? 4 : 16)
        from sourcePort in AnyUInt16
        from destinationPort in AnyUInt16
        from payload in Gen.OneOf(Bytes(0, 64), Bytes(0, 1500))
        from slack in Gen.Choose(0, 16)
        select new PacketSpec(version, source, destination, sourcePort, destinationPort, payload, slack);

    public static byte[] Build(PacketSpec spec)
    {
        int headerLength = UdpPacketWriter.HeaderLength(spec.Version);
        byte[] buffer = new byte[headerLength + spec.Payload.Length + spec.Slack];
        spec.Payload.CopyTo(buffer, headerLength);
        int length = UdpPacketWriter.WriteHeaders(buffer, spec.Version, spec.Source, spec.Destination, spec.SourcePort, spec.DestinationPort, spec.Payload.Length);
        return buffer[..length];
    }

    /// <summary>A packet from the writer with random edits: for the packet reader's robustness.</summary>
    public static readonly Gen<byte[]> MutatedPacket =
        from spec in Packet
        from edits in Gen.Choose(1, 4).SelectMany(count => PacketEdit.ArrayOf(count))
        select Apply(Build(spec), edits);

    private static readonly Gen<(int Kind, int Position, byte Value)> PacketEdit =
        from kind in Gen.Choose(0, 4)
        from position in Gen.Choose(0, 60)
        from value in AnyByte
        select (kind, position, value);

    public static readonly Gen<byte[]> AnyPacket = Gen.OneOf(Bytes(0, 200), MutatedPacket);
}

/// <summary>What a generated query holds, and how to answer it.</summary>
public sealed record QuerySpec(byte[][] Labels, ushort Id, ushort Flags, ushort Type, ushort Class, bool HasOpt,
    ushort UdpPayloadSize, byte ExtendedRcode, byte Version, bool DnssecOk, byte[] OptOptions, bool IncludeSoa, uint NegativeTtl)
{
    public int NameWireLength => Labels.Sum(label => label.Length + 1) + 1;

    public byte[] ToMessage()
    {
        var builder = new DnsMessageBuilder().Header(Id, Flags, 1, 0, 0, (ushort)(HasOpt ? 1 : 0));
        foreach (byte[] label in Labels)
        {
            builder.Label(label);
        }
        builder.Byte(0).UInt16(Type).UInt16(Class);
        if (HasOpt)
        {
            builder.Opt(UdpPayloadSize, ExtendedRcode, Version, DnssecOk, OptOptions);
        }
        return builder.ToArray();
    }

    /// <summary>The name as ReadLowerCaseName should give it: Latin-1, A-Z lowered, dots between.</summary>
    public string LowerCaseName() => string.Join('.', Labels.Select(label =>
        new string(label.Select(b => (char)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b)).ToArray())));

    public override string ToString() =>
        $"labels [{string.Join(", ", Labels.Select(l => l.Length))}] id {Id:x4} flags {Flags:x4} type {Type} class {Class} " +
        $"opt {HasOpt} size {UdpPayloadSize} ercode {ExtendedRcode} version {Version} do {DnssecOk} options {OptOptions.Length} " +
        $"soa {IncludeSoa} ttl {NegativeTtl} message {Convert.ToHexString(ToMessage())}";
}

public sealed record PacketSpec(int Version, byte[] Source, byte[] Destination, ushort SourcePort, ushort DestinationPort, byte[] Payload, int Slack)
{
    public override string ToString() =>
        $"IPv{Version} {Convert.ToHexString(Source)}:{SourcePort} -> {Convert.ToHexString(Destination)}:{DestinationPort} " +
        $"payload {Convert.ToHexString(Payload)} slack {Slack}";
}
