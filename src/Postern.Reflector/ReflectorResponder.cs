using System.Text;
using Postern.Hosting;
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
    private static ReadOnlySpan<byte> TokenPairedReason => "Rendezvous Token Paired"u8;
    private static ReadOnlySpan<byte> NotRegisteredReason => "Not Registered"u8;
    private static ReadOnlySpan<byte> ClockSkewReason => "Timestamp Out Of Range"u8;
    private static ReadOnlySpan<byte> ReplayedReason => "Timestamp Not Newer"u8;
    private static ReadOnlySpan<byte> BadMacReason => "Bad Proof Of Key"u8;
    private static ReadOnlySpan<byte> TableFullReason => "Registration Table Full"u8;

    private readonly byte[] _software;
    private readonly bool _strictSize;
    private readonly RateLimiter? _rateLimiter;
    private readonly RendezvousTable? _rendezvous;
    private readonly WireGuardDirectory? _wireGuard;

    /// <param name="rendezvous">The rendezvous table; null with --no-rendezvous (the attributes
    /// are then ignored and every request gets a plain answer).</param>
    /// <param name="wireGuard">The DNS-SD directory; null without --dns-sd (register and lookup
    /// requests then get a plain answer).</param>
    public ReflectorResponder(string software, bool strictSize, RateLimiter? rateLimiter, RendezvousTable? rendezvous = null,
        WireGuardDirectory? wireGuard = null)
    {
        _wireGuard = wireGuard;
        _software = Encoding.UTF8.GetBytes(software);
        if (_software.Length > MaxSoftwareBytes || software.Length >= 128)
        {
            throw new ArgumentException("SOFTWARE must be fewer than 128 characters (RFC 8489 section 14.14)", nameof(software));
        }
        _strictSize = strictSize;
        _rateLimiter = rateLimiter;
        _rendezvous = rendezvous;
    }

    public RendezvousTable? Rendezvous => _rendezvous;

    public WireGuardDirectory? WireGuard => _wireGuard;

    /// <summary>Answers one request from <paramref name="peer"/> (4 or 16 address bytes, never
    /// IPv4-mapped) and <paramref name="peerPort"/>. <paramref name="endpoints"/> is non-null when
    /// the request came to one of RFC 5780's four addresses, <paramref name="receivedOn"/> that
    /// address's index; <paramref name="sendFrom"/> comes back as the index to answer from
    /// (equal to <paramref name="receivedOn"/> unless CHANGE-REQUEST asked otherwise), and
    /// <paramref name="replyPort"/> as the port to answer to (the peer's unless RESPONSE-PORT
    /// asked otherwise).
    /// <paramref name="now"/> is a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public ReflectorOutcome Answer(ReadOnlySpan<byte> request, ReadOnlySpan<byte> peer, ushort peerPort, uint peerScopeId,
        StunEndpoints? endpoints, int receivedOn, long now, Span<byte> reply, out int length, out int sendFrom, out ushort replyPort) =>
        Answer(request, peer, peerPort, peerScopeId, endpoints, receivedOn, now, reply, out length, out sendFrom, out replyPort,
            -1, default, default, out _, out _);

    /// <summary>Answers one UDP request as above, with rendezvous: <paramref name="listener"/> is
    /// the server's index of the listener it came to and <paramref name="route"/> its datagram
    /// descriptor (both stored for a later indication). When this request pairs a token,
    /// <paramref name="indicationLength"/> is non-zero: the Binding indication to the first peer is
    /// in <paramref name="indication"/> (at least <see cref="MaxReplyLength"/> bytes), to be sent
    /// along <paramref name="indicationRoute"/>.</summary>
    public ReflectorOutcome Answer(ReadOnlySpan<byte> request, ReadOnlySpan<byte> peer, ushort peerPort, uint peerScopeId,
        StunEndpoints? endpoints, int receivedOn, long now, Span<byte> reply, out int length, out int sendFrom, out ushort replyPort,
        int listener, in Interop.UdpDatagram route, Span<byte> indication, out int indicationLength, out RendezvousPeer indicationRoute)
    {
        indicationLength = 0;
        indicationRoute = default;
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
            case StunParseStatus.Request when parsed.HasWgKey && !parsed.HasToken && listener >= 0 && _wireGuard is not null &&
                                              IsPlainBinding(in parsed):
                if (_rateLimiter is not null && !_rateLimiter.TryAcquire(peer, now))
                {
                    return ReflectorOutcome.RateLimited;
                }
                return AnswerWireGuard(request, in parsed, peer, peerPort, now, reply, out length);
            case StunParseStatus.Request when parsed.HasToken && listener >= 0 && _rendezvous is not null && IsPlainBinding(in parsed):
                // Answered (or not) in full there: the table must not change for a request that is
                // over its rate, so the rate limit is taken first.
                if (_rateLimiter is not null && !_rateLimiter.TryAcquire(peer, now))
                {
                    return ReflectorOutcome.RateLimited;
                }
                return AnswerRendezvous(request, in parsed, peer, peerPort, listener, in route, now, reply, out length,
                    indication, out indicationLength, out indicationRoute);
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

    /// <summary>A Binding request with the magic cookie and nothing the plain path would refuse
    /// (420) or act on (CHANGE-REQUEST, RESPONSE-PORT): what rendezvous answers.</summary>
    private static bool IsPlainBinding(in StunRequest parsed) =>
        parsed.Method == StunMessageType.MethodBinding && !parsed.IsClassic && parsed.UnknownCount == 0 &&
        !parsed.HasChangeRequest && !parsed.HasResponsePort;

    /// <summary>docs/punch-protocol.md, "Rendezvous": waiting, paired (with the indication to the
    /// first peer), or 403 for a third mapping; a full table answers as a server without rendezvous.
    /// The size rule: never longer than the request plus one POSTERN-PEER (with --strict-size, than
    /// the request); POSTERN-PEER-LOCALs that do not fit are left out, and a message that does not
    /// fit even without them is not sent (counted as oversize).</summary>
    private ReflectorOutcome AnswerRendezvous(ReadOnlySpan<byte> request, in StunRequest parsed, ReadOnlySpan<byte> peer,
        ushort peerPort, int listener, in Interop.UdpDatagram route, long now, Span<byte> reply, out int length,
        Span<byte> indication, out int indicationLength, out RendezvousPeer indicationRoute)
    {
        indicationLength = 0;
        indicationRoute = default;
        ReadOnlySpan<byte> transaction = request.Slice(StunMessage.TransactionOffset, StunMessage.TransactionLength);
        var requester = new RendezvousPeer
        {
            Mapping = StunAddress.Create(peer, peerPort),
            LocalCount = parsed.LocalCount,
            Locals = parsed.Locals,
            RequestLength = request.Length,
            HasInfo = parsed.HasInfo,
            Info = parsed.Info,
            Listener = listener,
            Route = route,
        };
        transaction.CopyTo(requester.Transaction);
        ReadOnlySpan<byte> token = parsed.Token;

        RendezvousResult result = _rendezvous!.Visit(token, in requester, now, out RendezvousPeer other);
        bool fingerprint = parsed.HasFingerprint;
        switch (result)
        {
            case RendezvousResult.Registered:
            case RendezvousResult.Waiting:
                length = WriteRendezvousMessage(reply, StunMessageType.BindingSuccessResponse, transaction, in requester.Mapping,
                    token, default, default, default, fingerprint, SizeLimit(request.Length, in requester.Mapping));
                break;
            case RendezvousResult.Paired:
            case RendezvousResult.PairedAgain:
                length = WriteRendezvousMessage(reply, StunMessageType.BindingSuccessResponse, transaction, in requester.Mapping,
                    token, in other.Mapping, other.InfoBytes, other.LocalAddresses, fingerprint, SizeLimit(request.Length, in other.Mapping));
                if (result == RendezvousResult.Paired && length > 0)
                {
                    // The indication goes with the answer that caused it: both or neither.
                    indicationLength = WriteRendezvousMessage(indication, StunMessageType.BindingIndication, other.Transaction,
                        in other.Mapping, token, in requester.Mapping, requester.InfoBytes, requester.LocalAddresses, fingerprint: true,
                        SizeLimit(other.RequestLength, in requester.Mapping));
                    if (indicationLength > 0)
                    {
                        indicationRoute = other;
                    }
                    else
                    {
                        indicationLength = 0;
                    }
                }
                break;
            case RendezvousResult.Refused:
                var writer = new StunWriter(reply, StunMessageType.BindingErrorResponse, transaction);
                writer.WriteErrorCode(403, TokenPairedReason);
                if (fingerprint)
                {
                    writer.WriteFingerprint();
                }
                length = writer.Finish();
                if (length > SizeLimit(request.Length, in requester.Mapping))
                {
                    length = -1;
                }
                if (length > 0)
                {
                    return ReflectorOutcome.StunError;
                }
                break;
            default:
                length = WriteRendezvousMessage(reply, StunMessageType.BindingSuccessResponse, transaction, in requester.Mapping,
                    default, default, default, default, fingerprint, SizeLimit(request.Length, in requester.Mapping));
                break;
        }
        if (length <= 0)
        {
            length = 0;
            return ReflectorOutcome.Oversize;
        }
        return ReflectorOutcome.StunSuccess;
    }

    /// <summary>A DNS-SD register request (POSTERN-WG-KEY, -TIME and -MAC) or lookup (POSTERN-WG-KEY
    /// alone), docs/punch-protocol.md "DNS-SD registration". The endpoint registered is the one the
    /// request came from. Never longer than the request (no amplification; a client pads its
    /// lookups to <see cref="WireGuardRegister.RequestLength"/>). Allocates: registrations are
    /// rare, and X25519 and HMAC are BouncyCastle's.</summary>
    private ReflectorOutcome AnswerWireGuard(ReadOnlySpan<byte> request, in StunRequest parsed, ReadOnlySpan<byte> peer,
        ushort peerPort, long now, Span<byte> reply, out int length)
    {
        ReadOnlySpan<byte> transaction = request.Slice(StunMessage.TransactionOffset, StunMessage.TransactionLength);
        StunAddress observed = StunAddress.Create(peer, peerPort);
        ReadOnlySpan<byte> key = parsed.WgKey;
        var writer = new StunWriter(reply, StunMessageType.BindingSuccessResponse, transaction);
        Span<byte> time = stackalloc byte[StunAttribute.PosternWgTimeLength];
        bool success;
        if (parsed.HasWgTime && parsed.HasWgMac)
        {
            RegisterResult result = _wireGuard!.Register(key, parsed.WgTime, transaction, parsed.WgMac, in observed, now, out bool changed);
            success = result == RegisterResult.Accepted;
            if (success)
            {
                if (changed)
                {
                    Log.Info($"dns-sd: {Convert.ToBase64String(key)} registered at {observed}");
                }
                writer.WriteXorAddress(Wire.StunAttribute.XorMappedAddress, in observed);
                writer.WriteBytes(Wire.StunAttribute.PosternWgKey, key);
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(time, parsed.WgTime);
                writer.WriteBytes(Wire.StunAttribute.PosternWgTime, time);
            }
            else
            {
                writer = new StunWriter(reply, StunMessageType.BindingErrorResponse, transaction);
                writer.WriteErrorCode(403, result switch
                {
                    RegisterResult.ClockSkew => ClockSkewReason,
                    RegisterResult.Replayed => ReplayedReason,
                    RegisterResult.BadMac => BadMacReason,
                    _ => TableFullReason,
                });
            }
        }
        else if (_wireGuard!.TryLookup(key, now, out WireGuardRegistration registration))
        {
            success = true;
            writer.WriteXorAddress(Wire.StunAttribute.XorMappedAddress, in observed);
            StunAddress endpoint = registration.Endpoint;
            writer.WriteXorAddress(Wire.StunAttribute.PosternWgEndpoint, in endpoint);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(time, registration.Time);
            writer.WriteBytes(Wire.StunAttribute.PosternWgTime, time);
        }
        else
        {
            success = false;
            writer = new StunWriter(reply, StunMessageType.BindingErrorResponse, transaction);
            writer.WriteErrorCode(404, NotRegisteredReason);
        }
        if (parsed.HasFingerprint)
        {
            writer.WriteFingerprint();
        }
        length = writer.Finish();
        if (length <= 0 || length > request.Length)
        {
            length = 0;
            return ReflectorOutcome.Oversize;
        }
        return success ? ReflectorOutcome.StunSuccess : ReflectorOutcome.StunError;
    }

    private int SizeLimit(int requestLength, in StunAddress peer) => _strictSize ? requestLength : requestLength + peer.AttributeLength;

    /// <summary>XOR-MAPPED-ADDRESS, POSTERN-TOKEN (when given), POSTERN-PEER (when not empty),
    /// POSTERN-PEER-INFO and the POSTERN-PEER-LOCALs that fit under <paramref name="limit"/>, FINGERPRINT. No SOFTWARE. Returns
    /// -1 when even the message without locals would be longer than <paramref name="limit"/>.</summary>
    private static int WriteRendezvousMessage(Span<byte> destination, ushort type, ReadOnlySpan<byte> transaction,
        in StunAddress mapped, ReadOnlySpan<byte> token, in StunAddress peer, ReadOnlySpan<byte> peerInfo,
        ReadOnlySpan<StunAddress> peerLocals, bool fingerprint, int limit)
    {
        int trailer = fingerprint ? Wire.StunAttribute.HeaderLength + 4 : 0;
        var writer = new StunWriter(destination, type, transaction);
        writer.WriteXorAddress(Wire.StunAttribute.XorMappedAddress, in mapped);
        if (!token.IsEmpty)
        {
            writer.WriteBytes(Wire.StunAttribute.PosternToken, token);
        }
        if (!peer.IsEmpty)
        {
            writer.WriteXorAddress(Wire.StunAttribute.PosternPeer, in peer);
        }
        if (!peerInfo.IsEmpty && writer.Length + Wire.StunAttribute.HeaderLength + peerInfo.Length + trailer <= limit)
        {
            writer.WriteBytes(Wire.StunAttribute.PosternPeerInfo, peerInfo);
        }
        foreach (StunAddress local in peerLocals)
        {
            if (writer.Length + local.AttributeLength + trailer <= limit)
            {
                writer.WriteXorAddress(Wire.StunAttribute.PosternPeerLocal, in local);
            }
        }
        if (fingerprint)
        {
            writer.WriteFingerprint();
        }
        int length = writer.Finish();
        return length > limit ? -1 : length;
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
