namespace Postern.Netfilter;

public sealed record NfqueueOptions
{
    /// <summary>Packets the kernel holds for the queue before fail-open lets the rest through.</summary>
    public uint QueueMaxLength { get; init; } = 4096;

    /// <summary>Bytes of each packet copied to user space: enough for any DNS query over UDP that
    /// is worth answering; a longer packet arrives truncated and is accepted unread.</summary>
    public uint CopyRange { get; init; } = 2048;

    public int ReceiveBufferBytes { get; init; } = 8 << 20;

    /// <summary>Packets received with one recvmmsg, verdicts sent in one datagram.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>How long a receive waits before the loop looks at its stop flag.</summary>
    public int PollTimeoutMs { get; init; } = 200;

    /// <summary>The receive slot for one packet: the copy and the netlink headers around it.</summary>
    public int SlotSize => (int)CopyRange + 512;
}
