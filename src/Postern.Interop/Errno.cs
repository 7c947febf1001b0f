using System.Runtime.InteropServices;

namespace Postern.Interop;

/// <summary>errno values and their names, for messages and counters. Marshal's own text for an
/// errno comes from libc (strerror), which Native AOT keeps.</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EINVAL = 22;
    public const int ENOBUFS = 105;
    public const int EPROTONOSUPPORT = 93;
    public const int EAFNOSUPPORT = 97;
    public const int ENETUNREACH = 101;
    public const int EHOSTUNREACH = 113;
    public const int EMSGSIZE = 90;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        EAGAIN => "EAGAIN",
        ENOMEM => "ENOMEM",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        EINVAL => "EINVAL",
        ENOBUFS => "ENOBUFS",
        EPROTONOSUPPORT => "EPROTONOSUPPORT",
        EAFNOSUPPORT => "EAFNOSUPPORT",
        ENETUNREACH => "ENETUNREACH",
        EHOSTUNREACH => "EHOSTUNREACH",
        EMSGSIZE => "EMSGSIZE",
        _ => "errno" + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
