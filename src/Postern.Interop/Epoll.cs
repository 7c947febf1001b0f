using Postern.Hosting;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Postern.Interop;

/// <summary>An epoll instance and an eventfd registered in it, for a thread that serves many
/// sockets and must wake when another thread hands it work. Each registration carries a 64-bit
/// token chosen by the caller (a slot number), so a ready socket is found without a lookup.</summary>
public sealed unsafe class Epoll : IDisposable
{
    /// <summary>The token of the wake-up eventfd.</summary>
    public const ulong WakeToken = ulong.MaxValue;

    private readonly FdHandle _epoll;
    private readonly FdHandle _wake;

    private Epoll(FdHandle epoll, FdHandle wake)
    {
        _epoll = epoll;
        _wake = wake;
    }

    public static int Open(out Epoll? epoll)
    {
        epoll = null;
        int fd = epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0)
        {
            return errno;
        }
        var handle = new FdHandle(fd);
        int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wake < 0)
        {
            int error = errno;
            handle.Dispose();
            return error;
        }
        var created = new Epoll(handle, new FdHandle(wake));
        int added = created.Add(wake, WakeToken);
        if (added != 0)
        {
            created.Dispose();
            return added;
        }
        epoll = created;
        return 0;
    }

    /// <summary>Watches <paramref name="fd"/> for input (and, always, errors).</summary>
    public int Add(int fd, ulong token)
    {
        var registration = new epoll_event { events = EPOLLIN };
        registration.data.u64 = token;
        return epoll_ctl(_epoll.Value, EPOLL_CTL_ADD, fd, &registration) == 0 ? 0 : errno;
    }

    public int Remove(int fd) => epoll_ctl(_epoll.Value, EPOLL_CTL_DEL, fd, null) == 0 ? 0 : errno;

    /// <summary>Waits up to <paramref name="timeoutMs"/>; the tokens of ready descriptors go to
    /// <paramref name="ready"/>. The wake-up eventfd is read (reset) when it is among them.</summary>
    public int Wait(Span<ulong> ready, int timeoutMs, out int count)
    {
        count = 0;
        int max = Math.Min(ready.Length, 64);
        epoll_event* events = stackalloc epoll_event[64];
        int result;
        do
        {
            result = epoll_wait(_epoll.Value, events, max, timeoutMs);
        } while (result < 0 && errno == EINTR);
        if (result < 0)
        {
            return errno;
        }
        for (int i = 0; i < result; i++)
        {
            ulong token = events[i].data.u64;
            if (token == WakeToken)
            {
                ulong value;
                read(_wake.Value, &value, sizeof(ulong));
            }
            ready[i] = token;
        }
        count = result;
        return 0;
    }

    /// <summary>Wakes the thread in <see cref="Wait"/> (safe from any thread, and after
    /// <see cref="Dispose"/>, when it does nothing): the eventfd is held open for the write, so
    /// a late caller never writes its eight bytes into a descriptor number that was closed and
    /// given to another file or socket since.</summary>
    public void Wake()
    {
        bool held = false;
        try
        {
            _wake.DangerousAddRef(ref held);
            ulong one = 1;
            write(_wake.Value, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Closed: nobody waits any more.
        }
        finally
        {
            if (held)
            {
                _wake.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        _wake.Dispose();
        _epoll.Dispose();
    }
}
