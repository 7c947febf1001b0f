using Postern.Hosting;
using Postern.Interop;

namespace Postern.Aaaa;

/// <summary>A raw socket that sends whole IP packets of one family, marked so that the scoped
/// NOTRACK rule can find them.</summary>
public sealed class RawSocket : IDisposable
{
    private RawSocket(FdHandle handle) => Handle = handle;

    public FdHandle Handle { get; }

    public int Fd => Handle.Value;

    public static RawSocket Open(int ipVersion, uint mark, int sendBufferBytes)
    {
        int error = Sockets.OpenRaw(ipVersion, mark, sendBufferBytes, out FdHandle handle);
        if (error != 0)
        {
            string what = error == Errno.EPERM || error == Errno.EACCES
                ? "needs CAP_NET_RAW (and CAP_NET_ADMIN for the socket mark): run as root or with those capabilities"
                : Errno.Describe(error) + " (" + Errno.Name(error) + ")";
            throw new StartupException($"cannot open the IPv{ipVersion} raw socket: {what}");
        }
        return new RawSocket(handle);
    }

    public void Dispose() => Handle.Dispose();
}
