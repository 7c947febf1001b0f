using System.Runtime.InteropServices;

namespace Postern.Interop;

public static partial class Interop
{
    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_RouteMonitorOpen")]
    public static partial int RouteMonitorOpen(out int fd);

    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_RouteMonitorWait")]
    public static partial int RouteMonitorWait(int fd, int timeoutMs, out int changed);
}
