using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Postern.Hosting;

/// <summary>A file descriptor owned by Postern: every socket of every role lives in one, so that
/// it is closed exactly once, and not while a call that was handed it is still running (the
/// SafeHandle reference count).</summary>
public sealed class FdHandle : SafeHandle
{
    public FdHandle()
        : base(new IntPtr(-1), ownsHandle: true)
    {
    }

    public FdHandle(int fd, bool ownsHandle = true)
        : base(new IntPtr(-1), ownsHandle)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => (int)handle < 0;

    /// <summary>The descriptor, for a call that cannot take the handle itself. The caller keeps
    /// the handle alive (or holds a reference) for as long as it uses the number.</summary>
    public int Value => (int)handle;

    /// <summary>Close once; on Linux a close interrupted by a signal has still released the
    /// descriptor, so it is never retried.</summary>
    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
