using ARSoft.Tools.Net.Dns;
using FsCheck;
using FsCheck.Fluent;

namespace Postern.Wire.Tests;

/// <summary>FsCheck generators for queries that both ARSoft.Tools.Net and Postern can write and
/// read: label bytes below 0x80 (ARSoft keeps labels as ASCII strings), EDNS options from the
/// local/experimental range (RFC 6891 section 9: 65001-65534), which ARSoft keeps as opaque
/// bytes.</summary>
public static class ArSoftGenerators
{
    private static readonly Gen<byte> AsciiByte = Gen.Frequency(
        (3, Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".Select(c => (byte)c).ToArray())),
        (1, Gen.Choose(0, 0x7F).Select(i => (byte)i)));

    private static Gen<byte[]> AsciiLabel(int length) => AsciiByte.ArrayOf(length);

    /// <summary>Zero to eight labels, cut to fit 255 octets; half the time topped up to exactly 255.</summary>
    public static readonly Gen<byte[][]> Labels =
        from lengths in Gen.Choose(0, 8).SelectMany(count => Gen.Choose(1, 63).ArrayOf(count))
        from fill in WireGenerators.AnyBool
        from labels in Gen.CollectToArray(Fit(lengths, fill).Select(AsciiLabel))
        select labels;

    private static List<int> Fit(int[] lengths, bool fill)
    {
        var kept = new List<int>();
        int wire = 1;
        foreach (int length in lengths)
        {
            if (wire + length + 1 > DnsReader.MaxNameLength)
            {
                break;
            }
            kept.Add(length);
            wire += length + 1;
        }
        while (fill && lengths.Length != 0 && wire + 2 <= DnsReader.MaxNameLength)
        {
            int length = Math.Min(63, DnsReader.MaxNameLength - wire - 1);
            kept.Add(length);
            wire += length + 1;
        }
        return kept;
    }

    private static readonly Gen<(ushort Code, byte[] Data)> Option =
        from code in Gen.Choose(65001, 65534)
        from data in WireGenerators.Bytes(0, 24)
        select ((ushort)code, data);

    public static readonly Gen<ArSoftQuerySpec> Query =
        from labels in Labels
        from id in WireGenerators.AnyUInt16
        from flagBits in Gen.Choose(0, 0x3F)
        from rcode in Gen.Choose(0, 15)
        from type in Gen.OneOf(Gen.Elements(DnsType.AAAA, DnsType.HTTPS, DnsType.SVCB, DnsType.A, DnsType.ANY), WireGenerators.AnyUInt16)
        from @class in Gen.OneOf(Gen.Constant(DnsType.ClassIN), WireGenerators.AnyUInt16)
        from hasOpt in WireGenerators.AnyBool
        from udpSize in WireGenerators.AnyUInt16
        from version in Gen.OneOf(Gen.Constant((byte)0), WireGenerators.AnyByte)
        from extendedRcode in Gen.OneOf(Gen.Constant((byte)0), WireGenerators.AnyByte)
        from dnssecOk in WireGenerators.AnyBool
        from options in Gen.Choose(0, 3).SelectMany(count => Option.ArrayOf(count))
        from includeSoa in WireGenerators.AnyBool
        from negativeTtl in Gen.OneOf(WireGenerators.AnyUInt32, Gen.Elements(0u, 0x7FFFFFFFu, 0x80000000u, uint.MaxValue))
        select new ArSoftQuerySpec(labels, id,
            (flagBits & 1) != 0, (flagBits & 2) != 0, (flagBits & 4) != 0, (flagBits & 8) != 0, (flagBits & 16) != 0, (flagBits & 32) != 0,
            (byte)rcode, type, @class, hasOpt, udpSize, version, extendedRcode, dnssecOk, options, includeSoa, negativeTtl);
}

/// <summary>A query both codecs can write, and how Postern is to answer it.</summary>
public sealed record ArSoftQuerySpec(byte[][] Labels, ushort Id, bool Aa, bool Tc, bool Rd, bool Ra, bool Ad, bool Cd, byte Rcode,
    ushort Type, ushort Class, bool HasOpt, ushort UdpPayloadSize, byte Version, byte ExtendedRcode, bool DnssecOk,
    (ushort Code, byte[] Data)[] Options, bool IncludeSoa, uint NegativeTtl)
{
    public int NameWireLength => Labels.Sum(label => label.Length + 1) + 1;

    /// <summary>The header's flags word, put together from the bits (RFC 1035 section 4.1.1).</summary>
    public ushort Flags => (ushort)((Aa ? DnsHeader.FlagAA : 0) | (Tc ? DnsHeader.FlagTC : 0) | (Rd ? DnsHeader.FlagRD : 0) |
        (Ra ? DnsHeader.FlagRA : 0) | (Ad ? DnsHeader.FlagAD : 0) | (Cd ? DnsHeader.FlagCD : 0) | Rcode);

    public string[] LabelStrings => ArSoftOracle.Labels(Labels);

    /// <summary>The query as ARSoft.Tools.Net writes it.</summary>
    public byte[] ToArSoftMessage()
    {
        var message = new DnsMessage
        {
            TransactionID = Id,
            IsQuery = true,
            OperationCode = OperationCode.Query,
            IsAuthoritiveAnswer = Aa,
            IsTruncated = Tc,
            IsRecursionDesired = Rd,
            IsRecursionAllowed = Ra,
            IsAuthenticData = Ad,
            IsCheckingDisabled = Cd,
            ReturnCode = (ReturnCode)Rcode,
        };
        message.Questions.Add(new DnsQuestion(ArSoftOracle.Name(Labels), (RecordType)Type, (RecordClass)Class));
        if (HasOpt)
        {
            var opt = new OptRecord(UdpPayloadSize, Options.Select(o => (EDnsOptionBase)new UnknownOption((EDnsOptionType)o.Code, o.Data)).ToArray())
            {
                // First: ARSoft 3.6.1 clears DO with TTL &= 0x7fff, which also wipes the version
                // and extended RCODE set before it.
                IsDnsSecOk = DnssecOk,
                Version = Version,
                // ARSoft keeps the extended RCODE shifted above the header's four bits.
                ExtendedReturnCode = (ReturnCode)(ExtendedRcode << 4),
            };
            message.AdditionalRecords.Add(opt);
        }
        return ArSoftOracle.Encode(message);
    }

    /// <summary>The same query written byte by byte, with neither codec's help.</summary>
    public byte[] ToHandBuiltMessage()
    {
        var builder = new DnsMessageBuilder().Header(Id, Flags, 1, 0, 0, (ushort)(HasOpt ? 1 : 0));
        foreach (byte[] label in Labels)
        {
            builder.Label(label);
        }
        builder.Byte(0).UInt16(Type).UInt16(Class);
        if (HasOpt)
        {
            var options = new DnsMessageBuilder();
            foreach ((ushort code, byte[] data) in Options)
            {
                options.UInt16(code).UInt16((ushort)data.Length).Bytes(data);
            }
            builder.Opt(UdpPayloadSize, ExtendedRcode, Version, DnssecOk, options.ToArray());
        }
        return builder.ToArray();
    }

    public override string ToString() =>
        $"labels [{string.Join(", ", Labels.Select(l => l.Length))}] id {Id:x4} flags {Flags:x4} type {Type} class {Class} " +
        $"opt {HasOpt} size {UdpPayloadSize} ercode {ExtendedRcode} version {Version} do {DnssecOk} options {Options.Length} " +
        $"soa {IncludeSoa} ttl {NegativeTtl} message {Convert.ToHexString(ToHandBuiltMessage())}";
}
