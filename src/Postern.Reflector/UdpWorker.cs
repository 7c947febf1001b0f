using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Postern.Hosting;
using Postern.Interop;

namespace Postern.Reflector;

/// <summary>One thread serving one UDP socket: a batch in with recvmmsg, every request answered
/// into a pinned buffer, a batch out with sendmmsg (answers that CHANGE-REQUEST sends from
/// another RFC 5780 address go out in a batch on that address's socket). Buffers are allocated
/// once; nothing is allocated per request unless --log-requests is on.</summary>
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
    private readonly ReflectorResponder _responder;
    private readonly ReflectorCounters _counters;
    private readonly bool _logRequests;
    private volatile bool _stopping;
    private Thread? _thread;
    private long _allocatedBytes;

    /// <param name="siblings">For an RFC 5780 socket, this worker's four sockets by endpoint index
    /// (<paramref name="endpointIndex"/> is this one's); null otherwise.</param>
    public UdpWorker(UdpSocket socket, UdpSocket[]? siblings, StunEndpoints? endpoints, int endpointIndex,
        ReflectorResponder responder, ReflectorCounters counters, bool logRequests)
    {
        _socket = socket;
        _siblings = siblings;
        _endpoints = endpoints;
        _endpointIndex = endpointIndex;
        _responder = responder;
        _counters = counters;
        _logRequests = logRequests;
    }

    public void Start(string name)
    {
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
        byte[] receiveBuffer = GC.AllocateArray<byte>(BatchSize * ReceiveSlot, pinned: true);
        byte[] sendBuffer = GC.AllocateArray<byte>(BatchSize * ReflectorResponder.MaxReplyLength, pinned: true);
        UdpDatagram[] received = GC.AllocateArray<UdpDatagram>(BatchSize, pinned: true);
        // Outgoing descriptors per RFC 5780 endpoint (only [own] without an alternate address).
        var outgoing = new UdpDatagram[StunEndpoints.Count][];
        var outgoingCount = new int[StunEndpoints.Count];
        for (int i = 0; i < outgoing.Length; i++)
        {
            outgoing[i] = GC.AllocateArray<UdpDatagram>(BatchSize, pinned: true);
        }
        Span<int> tally = stackalloc int[ReflectorCounters.TallyLength];
        int own = _endpoints is null ? 0 : _endpointIndex;
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
                for (int i = 0; i < count; i++)
                {
                    ref UdpDatagram request = ref received[i];
                    ReflectorOutcome outcome;
                    int sendFrom = own;
                    int length = 0;
                    ushort replyPort = request.Port;
                    Span<byte> reply = sendBuffer.AsSpan(i * ReflectorResponder.MaxReplyLength, ReflectorResponder.MaxReplyLength);
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
                            request.ScopeId, _endpoints, own, now, reply, out length, out sendFrom, out replyPort);
                    }
                    tally[(int)outcome]++;
                    if (_logRequests)
                    {
                        LogRequest(in request, peer, outcome, length);
                    }
                    if (length == 0)
                    {
                        continue;
                    }

                    ref UdpDatagram answer = ref outgoing[sendFrom][outgoingCount[sendFrom]++];
                    answer = request;
                    answer.Offset = i * ReflectorResponder.MaxReplyLength;
                    answer.Length = length;
                    answer.Port = replyPort;
                    if (sendFrom != own)
                    {
                        // Another socket, bound to the address the answer must come from.
                        answer.Flags = 0;
                    }
                }

                for (int target = 0; target < outgoing.Length; target++)
                {
                    int pending = outgoingCount[target];
                    if (pending == 0)
                    {
                        continue;
                    }
                    outgoingCount[target] = 0;
                    UdpSocket socket = target == own || _siblings is null ? _socket : _siblings[target];
                    fixed (UdpDatagram* pointer = outgoing[target])
                    {
                        Interop.Interop.UdpSendBatch(socket.Fd, socket.IpVersion, sendPointer, sendBuffer.Length, pointer, pending, out int sent);
                        if (sent != pending)
                        {
                            _counters.AddSendErrors(pending - sent);
                        }
                    }
                }
                _counters.Add(tally);
                Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - baseline);
            }
        }
    }

    private void LogRequest(in UdpDatagram request, ReadOnlySpan<byte> peer, ReflectorOutcome outcome, int length)
    {
        var address = new System.Net.IPAddress(peer);
        Log.Info(string.Create(CultureInfo.InvariantCulture,
            $"udp:{ListenEndpoint.Format(_socket.Address, _socket.Port)} request from {ListenEndpoint.Format(address, request.Port)} " +
            $"({request.Length} bytes): {outcome}{(length > 0 ? $", {length} bytes answered" : "")}"));
    }
}
