using Postern.Interop;

namespace Postern.Aaaa;

/// <summary>A raw socket that sends whole IP packets of one family, marked so that the scoped
/// NOTRACK rule can find them.</summary>
public sealed class RawSocket : IDisposable
{
    private int _fd;

    private RawSocket(int fd) => _fd = fd;

    public int Fd => _fd;

    public static RawSocket Open(int ipVersion, uint mark, int sendBufferBytes)
    {
        int error = Interop.Interop.RawOpen(ipVersion, mark, sendBufferBytes, out int fd);
        if (error != 0)
        {
            string what = error is Errno.EPERM or Errno.EACCES
                ? "needs CAP_NET_RAW (and CAP_NET_ADMIN for the socket mark): run as root or with those capabilities"
                : Errno.Describe(error) + " (" + Errno.Name(error) + ")";
            throw new InvalidOperationException($"cannot open the IPv{ipVersion} raw socket: {what}");
        }
        return new RawSocket(fd);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Interop.Interop.Close(fd);
        }
    }
}
