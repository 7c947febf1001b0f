using System.Text;
using Postern.Wire;

namespace Postern.Reflector;

/// <summary>The reflector's policy for one request, free of sockets: decides what a datagram or
/// a TCP message gets, writes the answer into the caller's buffer, and says from which of the RFC
/// 5780 endpoints it must leave. Allocation-free; safe to share between threads.</summary>
public sealed class ReflectorResponder
{
    /// <summary>Room for the largest answer: RFC 5780's addresses or a 420 with its list, plus a
    /// SOFTWARE of at most 763 bytes (RFC 8489 section 14.14), plus FINGERPRINT.</summary>
    public const int MaxReplyLength = 1024;

    public const int MaxSoftwareBytes = 763;

    private static ReadOnlySpan<byte> UnknownAttributeReason => "Unknown Attribute"u8;
    private static ReadOnlySpan<byte> BadRequestReason => "Bad Request"u8;

    private readonly byte[] _software;
    private readonly bool _strictSize;
    private readonly RateLimiter? _rateLimiter;

    public ReflectorResponder(string software, bool strictSize, RateLimiter? rateLimiter)
    {
        _software = Encoding.UTF8.GetBytes(software);
        if (_software.Length > MaxSoftwareBytes || software.Length >= 128)
        {
            throw new ArgumentException("SOFTWARE must be fewer than 128 characters (RFC 8489 section 14.14)", nameof(software));
        }
        _strictSize = strictSize;
        _rateLimiter = rateLimiter;
    }

    /// <summary>Answers one request from <paramref name="peer"/> (4 or 16 address bytes, never
    /// IPv4-mapped) and <paramref name="peerPort"/>. <paramref name="endpoints"/> is non-null when
    /// the request came to one of RFC 5780's four addresses, <paramref name="receivedOn"/> that
    /// address's index; <paramref name="sendFrom"/> comes back as the index to answer from
    /// (equal to <paramref name="receivedOn"/> unless CHANGE-REQUEST asked otherwise), and
    /// <paramref name="replyPort"/> as the port to answer to (the peer's unless RESPONSE-PORT
    /// asked otherwise).
    /// <paramref name="now"/> is a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public ReflectorOutcome Answer(ReadOnlySpan<byte> request, ReadOnlySpan<byte> peer, ushort peerPort, uint peerScopeId,
        StunEndpoints? endpoints, int receivedOn, long now, Span<byte> reply, out int length, out int sendFrom, out ushort replyPort)
    {
        sendFrom = receivedOn;
        replyPort = peerPort;
        length = 0;
        StunParseStatus status = StunRequest.TryParse(request, out StunRequest parsed);
        ReflectorOutcome outcome;
        switch (status)
        {
            case StunParseStatus.NotStun:
                length = LegacyReflectorText.Write(reply, peer, peerPort, peerScopeId);
                outcome = ReflectorOutcome.Text;
                break;
            case StunParseStatus.Request:
                outcome = WriteStunAnswer(request, in parsed, peer, peerPort, endpoints, receivedOn, reply, out length, out sendFrom);
                if (outcome == ReflectorOutcome.StunSuccess && parsed.HasResponsePort && parsed.ResponsePort != 0)
                {
                    // RFC 5780 section 6.1: to the same IP address, at the port asked for.
                    replyPort = parsed.ResponsePort;
                }
                break;
            case StunParseStatus.NotRequest:
                return ReflectorOutcome.Ignored;
            default:
                return ReflectorOutcome.Malformed;
        }
        if (length < 0)
        {
            length = 0;
            return ReflectorOutcome.Malformed;
        }
        if (_strictSize && length > request.Length)
        {
            length = 0;
            return ReflectorOutcome.Oversize;
        }
        if (_rateLimiter is not null && !_rateLimiter.TryAcquire(peer, now))
        {
            length = 0;
            return ReflectorOutcome.RateLimited;
        }
        return outcome;
    }

    private ReflectorOutcome WriteStunAnswer(ReadOnlySpan<byte> request, in StunRequest parsed, ReadOnlySpan<byte> peer,
        ushort peerPort, StunEndpoints? endpoints, int receivedOn, Span<byte> reply, out int length, out int sendFrom)
    {
        sendFrom = receivedOn;
        ReadOnlySpan<byte> transaction = request.Slice(StunMessage.TransactionOffset, StunMessage.TransactionLength);

        // RFC 8489 section 6.3.1: a request for a method the server does not know gets 400.
        if (parsed.Method != StunMessageType.MethodBinding)
        {
            ushort errorType = StunMessageType.Compose(parsed.Method, StunMessageType.ClassErrorResponse);
            length = WriteError(reply, errorType, transaction, in parsed, 400, BadRequestReason, default);
            return ReflectorOutcome.StunError;
        }

        // RFC 8489 section 6.3.1.1: unknown comprehension-required attributes get 420 listing
        // them. RFC 5780 section 6.1: without an alternate address this is no RFC 5780 server, and
        // a CHANGE-REQUEST asking for a change, or a RESPONSE-PORT, is answered the same way.
        bool changeRefused = parsed.ChangeFlags != 0 && endpoints is null;
        bool responsePortRefused = parsed.HasResponsePort && endpoints is null;
        if (parsed.UnknownCount != 0 || changeRefused || responsePortRefused)
        {
            Span<ushort> unknown = stackalloc ushort[StunRequest.MaxUnknown + 2];
            int count = 0;
            for (int i = 0; i < parsed.UnknownCount; i++)
            {
                unknown[count++] = parsed.Unknown[i];
            }
            if (changeRefused)
            {
                unknown[count++] = Wire.StunAttribute.ChangeRequest;
            }
            if (responsePortRefused)
            {
                unknown[count++] = Wire.StunAttribute.ResponsePort;
            }
            length = WriteError(reply, StunMessageType.BindingErrorResponse, transaction, in parsed, 420,
                UnknownAttributeReason, unknown.Slice(0, count));
            return ReflectorOutcome.StunError;
        }

        if (endpoints is not null)
        {
            if ((parsed.ChangeFlags & Wire.StunAttribute.ChangeIpFlag) != 0)
            {
                sendFrom ^= StunEndpoints.ChangeIp;
            }
            if ((parsed.ChangeFlags & Wire.StunAttribute.ChangePortFlag) != 0)
            {
                sendFrom ^= StunEndpoints.ChangePort;
            }
        }

        var writer = new StunWriter(reply, StunMessageType.BindingSuccessResponse, transaction);
        if (parsed.IsClassic)
        {
            // RFC 3489 section 11.2: MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS.
            writer.WriteAddress(Wire.StunAttribute.MappedAddress, peer, peerPort);
            if (endpoints is not null)
            {
                writer.WriteAddress(Wire.StunAttribute.SourceAddress, endpoints.Address(sendFrom), endpoints.Port(sendFrom));
                int other = receivedOn ^ (StunEndpoints.ChangeIp | StunEndpoints.ChangePort);
                writer.WriteAddress(Wire.StunAttribute.ChangedAddress, endpoints.Address(other), endpoints.Port(other));
            }
        }
        else
        {
            // RFC 8489 section 14.2; RFC 5780 sections 6.1, 7.3 and 7.4.
            writer.WriteXorMappedAddress(peer, peerPort);
            if (endpoints is not null)
            {
                writer.WriteAddress(Wire.StunAttribute.ResponseOrigin, endpoints.Address(sendFrom), endpoints.Port(sendFrom));
                int other = receivedOn ^ (StunEndpoints.ChangeIp | StunEndpoints.ChangePort);
                writer.WriteAddress(Wire.StunAttribute.OtherAddress, endpoints.Address(other), endpoints.Port(other));
            }
        }
        WriteTrailer(ref writer, in parsed);
        length = writer.Finish();
        return ReflectorOutcome.StunSuccess;
    }

    private int WriteError(Span<byte> reply, ushort type, ReadOnlySpan<byte> transaction, in StunRequest parsed, int code,
        ReadOnlySpan<byte> reason, ReadOnlySpan<ushort> unknown)
    {
        var writer = new StunWriter(reply, type, transaction);
        writer.WriteErrorCode(code, reason);
        if (!unknown.IsEmpty)
        {
            writer.WriteUnknownAttributes(unknown);
        }
        WriteTrailer(ref writer, in parsed);
        return writer.Finish();
    }

    /// <summary>SOFTWARE when configured; FINGERPRINT, last, when the request had one (RFC 8489
    /// section 7.3: a response carries it when the request did).</summary>
    private void WriteTrailer(ref StunWriter writer, in StunRequest parsed)
    {
        if (_software.Length != 0)
        {
            writer.WriteBytes(Wire.StunAttribute.Software, _software);
        }
        if (parsed.HasFingerprint && !parsed.IsClassic)
        {
            writer.WriteFingerprint();
        }
    }
}
