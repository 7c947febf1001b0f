using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;

namespace Postern.Wire.Tests;

/// <summary>Queries written by hand from random names and fields must read back field for field,
/// and the NODATA reply to them must carry the same question.</summary>
public class DnsQueryPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(1000);

    [Fact]
    public void TryRead_HandBuiltQuery_RoundTripsEveryField()
    {
        Check.One(Config, Prop.ForAll(WireGenerators.Query.ToArbitrary(), (QuerySpec spec) =>
        {
            byte[] message = spec.ToMessage();

            Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out DnsQuery query));

            Assert.Equal(spec.Id, query.Header.Id);
            Assert.Equal(spec.Flags, query.Header.Flags);
            Assert.Equal(1, query.Header.QuestionCount);
            Assert.Equal(spec.HasOpt ? 1 : 0, query.Header.AdditionalCount);
            Assert.Equal(DnsHeader.Length, query.QuestionNameOffset);
            Assert.Equal(spec.Type, query.QuestionType);
            Assert.Equal(spec.Class, query.QuestionClass);
            Assert.Equal(DnsHeader.Length + spec.NameWireLength + 4, query.QuestionEnd);
            Assert.Equal(spec.HasOpt, query.HasOpt);
            Assert.Equal(spec.HasOpt ? spec.UdpPayloadSize : 0, query.OptUdpPayloadSize);
            Assert.Equal(spec.HasOpt ? spec.ExtendedRcode : 0, query.OptExtendedRcode);
            Assert.Equal(spec.HasOpt ? spec.Version : 0, query.OptVersion);
            Assert.Equal(spec.HasOpt && spec.DnssecOk, query.DnssecOk);

            Assert.True(DnsReader.TryMeasureName(message, query.QuestionNameOffset, out int wireLength, out int nameLength));
            Assert.Equal(spec.NameWireLength, wireLength);
            Assert.Equal(spec.NameWireLength, nameLength);
            char[] name = new char[253];
            int written = DnsReader.ReadLowerCaseName(message, query.QuestionNameOffset, name);
            Assert.Equal(spec.LowerCaseName(), new string(name, 0, written));
        }));
    }

    [Fact]
    public void NoDataReplyWrite_HandBuiltQuery_ReplyCarriesTheSameQuestion()
    {
        Check.One(Config, Prop.ForAll(WireGenerators.Query.ToArbitrary(), (QuerySpec spec) =>
        {
            byte[] message = spec.ToMessage();
            Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out DnsQuery query));
            byte[] reply = new byte[NoDataReply.MaxLength(query.QuestionEnd)];

            int length = NoDataReply.Write(message, query, spec.IncludeSoa, spec.NegativeTtl, reply);

            Assert.InRange(length, query.QuestionEnd, reply.Length);
            ReadOnlySpan<byte> written = reply.AsSpan(0, length);
            Assert.True(DnsHeader.TryRead(written, out DnsHeader header));
            Assert.Equal(spec.Id, header.Id);
            Assert.Equal(DnsHeader.FlagQR | DnsHeader.FlagRA | (spec.Flags & (DnsHeader.FlagRD | DnsHeader.FlagCD)), header.Flags);
            Assert.Equal(1, header.QuestionCount);
            Assert.Equal(0, header.AnswerCount);
            Assert.Equal(spec.IncludeSoa ? 1 : 0, header.AuthorityCount);
            Assert.Equal(spec.HasOpt ? 1 : 0, header.AdditionalCount);

            // The same name bytes, type and class, read with the reader and not just compared.
            var reader = new DnsReader(written);
            Assert.True(reader.TryReadQuestion(out int nameOffset, out ushort type, out ushort @class));
            Assert.Equal(message.AsSpan(nameOffset, spec.NameWireLength).ToArray(), written.Slice(nameOffset, spec.NameWireLength).ToArray());
            Assert.Equal(spec.Type, type);
            Assert.Equal(spec.Class, @class);
            Assert.Equal(query.QuestionEnd, reader.Position);

            char[] name = new char[253];
            if (spec.IncludeSoa)
            {
                int ownerOffset = reader.Position;
                Assert.True(reader.TryReadRecord(out ushort soaType, out ushort soaClass, out uint ttl, out int dataOffset, out int dataLength));
                Assert.Equal(DnsType.SOA, soaType);
                Assert.Equal(DnsType.ClassIN, soaClass);
                Assert.Equal(spec.NegativeTtl, ttl);
                Assert.Equal(spec.NegativeTtl, BinaryPrimitives.ReadUInt32BigEndian(written.Slice(dataOffset + dataLength - 4)));
                int ownerLength = DnsReader.ReadLowerCaseName(written, ownerOffset, name);
                Assert.Equal(spec.LowerCaseName(), new string(name, 0, ownerLength));
            }
            if (spec.HasOpt)
            {
                Assert.True(reader.TryReadRecord(out ushort optType, out ushort payloadSize, out uint optTtl, out _, out int optLength));
                Assert.Equal(DnsType.OPT, optType);
                Assert.Equal(NoDataReply.AdvertisedUdpPayloadSize, payloadSize);
                Assert.Equal(spec.DnssecOk ? 0x8000u : 0u, optTtl);
                Assert.Equal(0, optLength);
            }
            Assert.Equal(0, reader.Remaining);

            // With QR cleared and no SOA, the reply is itself a query for the same question.
            if (!spec.IncludeSoa)
            {
                byte[] asQuery = written.ToArray();
                asQuery[2] &= 0x7F;
                Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(asQuery, out DnsQuery again));
                Assert.Equal(query.QuestionEnd, again.QuestionEnd);
                Assert.Equal(spec.Type, again.QuestionType);
                Assert.Equal(spec.HasOpt && spec.DnssecOk, again.DnssecOk);
                int againLength = DnsReader.ReadLowerCaseName(asQuery, again.QuestionNameOffset, name);
                Assert.Equal(spec.LowerCaseName(), new string(name, 0, againLength));
            }
        }));
    }
}
