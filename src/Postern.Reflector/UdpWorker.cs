using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Postern.Hosting;
using Postern.Interop;

namespace Postern.Reflector;

/// <summary>One thread serving one UDP socket: a batch in with recvmmsg, every request answered
/// into a pinned buffer, a batch out with sendmmsg per listener (answers that CHANGE-REQUEST sends
/// from another RFC 5780 address go out on that address's socket; a rendezvous indication goes out
/// on the listener the first peer used). Buffers are allocated once; nothing is allocated per
/// request unless --log-requests is on.</summary>
public sealed unsafe class UdpWorker
{
    public const int BatchSize = 64;

    /// <summary>Bigger than any STUN message worth answering over UDP (RFC 8489 section 6.2.1
    /// asks for under 576 bytes, 1500 with PADDING); longer datagrams are counted as malformed.</summary>
    public const int ReceiveSlot = 2048;

    private const int PollMilliseconds = 250;

    private readonly UdpSocket _socket;
    private readonly UdpSocket[]? _siblings;
    private readonly StunEndpoints? _endpoints;
    private readonly int _endpointIndex;
    private readonly int _listenerBase;
    private UdpSocket[] _listeners = Array.Empty<UdpSocket>();
    private readonly ReflectorResponder _responder;
    private readonly ReflectorCounters _counters;
    private readonly bool _logRequests;
    private volatile bool _stopping;
    private Thread? _thread;
    private long _allocatedBytes;

    /// <param name="siblings">For an RFC 5780 socket, this worker's four sockets by endpoint index
    /// (<paramref name="endpointIndex"/> is this one's); null otherwise.</param>
    /// <param name="listenerBase">The server's listener number of this socket, or for an RFC 5780
    /// socket, of the first of its four endpoints (the others follow in endpoint order).</param>
    public UdpWorker(UdpSocket socket, UdpSocket[]? siblings, StunEndpoints? endpoints, int endpointIndex, int listenerBase,
        ReflectorResponder responder, ReflectorCounters counters, bool logRequests)
    {
        _listenerBase = listenerBase;
        _socket = socket;
        _siblings = siblings;
        _endpoints = endpoints;
        _endpointIndex = endpointIndex;
        _responder = responder;
        _counters = counters;
        _logRequests = logRequests;
    }

    /// <param name="listeners">One socket per listener number, to send indications from.</param>
    public void Start(string name, UdpSocket[] listeners)
    {
        _listeners = listeners;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Stop() => _stopping = true;

    /// <summary>Bytes this worker's thread has allocated since its buffers were set up: zero in
    /// steady state (checked by a test), unless --log-requests is on.</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    public void Join() => _thread?.Join();

    private void Run()
    {
        const int Slot = ReflectorResponder.MaxReplyLength;
        byte[] receiveBuffer = GC.AllocateArray<byte>(BatchSize * ReceiveSlot, pinned: true);
        // Slot i holds request i's answer, slot BatchSize + i the indication it may cause.
        byte[] sendBuffer = GC.AllocateArray<byte>(2 * BatchSize * Slot, pinned: true);
        UdpDatagram[] received = GC.AllocateArray<UdpDatagram>(BatchSize, pinned: true);
        // Outgoing descriptors per listener: answers go to this socket's listener (or, under
        // CHANGE-REQUEST, a sibling's), indications to the first peer's.
        int listenerCount = Math.Max(_listeners.Length, _listenerBase + StunEndpoints.Count);
        var outgoing = new UdpDatagram[listenerCount][];
        var outgoingCount = new int[listenerCount];
        for (int i = 0; i < outgoing.Length; i++)
        {
            outgoing[i] = GC.AllocateArray<UdpDatagram>(2 * BatchSize, pinned: true);
        }
        Span<int> tally = stackalloc int[ReflectorCounters.TallyLength];
        int own = _endpoints is null ? 0 : _endpointIndex;
        int ownListener = _listenerBase + own;
        long baseline = GC.GetAllocatedBytesForCurrentThread();

        fixed (byte* receivePointer = receiveBuffer)
        fixed (byte* sendPointer = sendBuffer)
        fixed (UdpDatagram* receivedPointer = received)
        {
            while (!_stopping)
            {
                int error = Interop.Interop.UdpReceiveBatch(_socket.Fd, receivePointer, receiveBuffer.Length, ReceiveSlot,
                    receivedPointer, BatchSize, PollMilliseconds, out int count);
                if (error != 0)
                {
                    if (_stopping)
                    {
                        break;
                    }
                    Log.Error($"udp:{ListenEndpoint.Format(_socket.Address, _socket.Port)}: receive failed: {Errno.Describe(error)}");
                    Thread.Sleep(100);
                    continue;
                }
                if (count == 0)
                {
                    continue;
                }

                long now = Stopwatch.GetTimestamp();
                int indications = 0;
                for (int i = 0; i < count; i++)
                {
                    ref UdpDatagram request = ref received[i];
                    ReflectorOutcome outcome;
                    int sendFrom = own;
                    int length = 0;
                    int indicationLength = 0;
                    RendezvousPeer first = default;
                    ushort replyPort = request.Port;
                    Span<byte> reply = sendBuffer.AsSpan(i * Slot, Slot);
                    ReadOnlySpan<byte> peer = request.Family == 4
                        ? ((ReadOnlySpan<byte>)request.Address).Slice(12, 4)
                        : (ReadOnlySpan<byte>)request.Address;
                    if (request.IsTruncated)
                    {
                        outcome = ReflectorOutcome.Malformed;
                    }
                    else
                    {
                        outcome = _responder.Answer(receiveBuffer.AsSpan(request.Offset, request.Length), peer, request.Port,
                            request.ScopeId, _endpoints, own, now, reply, out length, out sendFrom, out replyPort,
                            ownListener, in request, sendBuffer.AsSpan((BatchSize + i) * Slot, Slot), out indicationLength, out first);
                    }
                    tally[(int)outcome]++;
                    if (_logRequests)
                    {
                        LogRequest(in request, peer, outcome, length, indicationLength);
                    }
                    if (indicationLength > 0 && (uint)first.Listener < (uint)listenerCount)
                    {
                        int target = first.Listener;
                        ref UdpDatagram indication = ref outgoing[target][outgoingCount[target]++];
                        indication = first.Route;
                        indication.Offset = (BatchSize + i) * Slot;
                        indication.Length = indicationLength;
                        indication.Flags &= UdpDatagram.FlagHasLocal;
                        indication.Error = 0;
                        indications++;
                    }
                    if (length == 0)
                    {
                        continue;
                    }

                    int answerTarget = _listenerBase + sendFrom;
                    ref UdpDatagram answer = ref outgoing[answerTarget][outgoingCount[answerTarget]++];
                    answer = request;
                    answer.Offset = i * Slot;
                    answer.Length = length;
                    answer.Port = replyPort;
                    if (sendFrom != own)
                    {
                        // Another socket, bound to the address the answer must come from.
                        answer.Flags = 0;
                    }
                }

                // Counted before they are sent, so that whoever has an answer finds it counted.
                _counters.Add(tally);
                if (indications != 0)
                {
                    _counters.AddIndications(indications);
                }
                for (int target = 0; target < outgoing.Length; target++)
                {
                    int pending = outgoingCount[target];
                    if (pending == 0)
                    {
                        continue;
                    }
                    outgoingCount[target] = 0;
                    UdpSocket socket = SocketFor(target, ownListener);
                    fixed (UdpDatagram* pointer = outgoing[target])
                    {
                        Interop.Interop.UdpSendBatch(socket.Fd, socket.IpVersion, sendPointer, sendBuffer.Length, pointer, pending, out int sent);
                        if (sent != pending)
                        {
                            _counters.AddSendErrors(pending - sent);
                        }
                    }
                }
                Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - baseline);
            }
        }
    }

    /// <summary>This worker's own socket for its listener, its RFC 5780 siblings for theirs, and
    /// the server's socket of any other listener.</summary>
    private UdpSocket SocketFor(int listener, int ownListener)
    {
        if (listener == ownListener)
        {
            return _socket;
        }
        if (_siblings is not null && listener - _listenerBase is >= 0 and < StunEndpoints.Count)
        {
            return _siblings[listener - _listenerBase];
        }
        return _listeners[listener];
    }

    private void LogRequest(in UdpDatagram request, ReadOnlySpan<byte> peer, ReflectorOutcome outcome, int length, int indicationLength)
    {
        var address = new System.Net.IPAddress(peer);
        Log.Info(string.Create(CultureInfo.InvariantCulture,
            $"udp:{ListenEndpoint.Format(_socket.Address, _socket.Port)} request from {ListenEndpoint.Format(address, request.Port)} " +
            $"({request.Length} bytes): {outcome}{(length > 0 ? $", {length} bytes answered" : "")}" +
            $"{(indicationLength > 0 ? $", {indicationLength}-byte indication to the first peer" : "")}"));
    }
}
