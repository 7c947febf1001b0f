using System.Globalization;
using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Postern.Interop;

/// <summary>errno values (this architecture's, from Tmds.LibC) and their names, for messages and
/// counters. The text for an errno comes from libc (strerror), which Native AOT keeps.</summary>
public static class Errno
{
    public static readonly int EPERM = LibC.EPERM;
    public static readonly int ENOENT = LibC.ENOENT;
    public static readonly int EINTR = LibC.EINTR;
    public static readonly int EAGAIN = LibC.EAGAIN;
    public static readonly int ENOMEM = LibC.ENOMEM;
    public static readonly int EACCES = LibC.EACCES;
    public static readonly int EBUSY = LibC.EBUSY;
    public static readonly int EINVAL = LibC.EINVAL;
    public static readonly int EMSGSIZE = LibC.EMSGSIZE;
    public static readonly int EPROTONOSUPPORT = LibC.EPROTONOSUPPORT;
    public static readonly int EAFNOSUPPORT = LibC.EAFNOSUPPORT;
    public static readonly int ENETUNREACH = LibC.ENETUNREACH;
    public static readonly int ENOBUFS = LibC.ENOBUFS;
    public static readonly int EHOSTUNREACH = LibC.EHOSTUNREACH;
    public static readonly int ECONNREFUSED = LibC.ECONNREFUSED;

    private static readonly (int Value, string Name)[] s_names =
    {
        (EPERM, "EPERM"), (ENOENT, "ENOENT"), (EINTR, "EINTR"), (EAGAIN, "EAGAIN"), (ENOMEM, "ENOMEM"),
        (EACCES, "EACCES"), (EBUSY, "EBUSY"), (EINVAL, "EINVAL"), (EMSGSIZE, "EMSGSIZE"),
        (EPROTONOSUPPORT, "EPROTONOSUPPORT"), (EAFNOSUPPORT, "EAFNOSUPPORT"), (ENETUNREACH, "ENETUNREACH"),
        (ENOBUFS, "ENOBUFS"), (EHOSTUNREACH, "EHOSTUNREACH"), (ECONNREFUSED, "ECONNREFUSED"),
    };

    public static string Name(int errno)
    {
        foreach ((int value, string name) in s_names)
        {
            if (value == errno)
            {
                return name;
            }
        }
        return "errno" + errno.ToString(CultureInfo.InvariantCulture);
    }

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
