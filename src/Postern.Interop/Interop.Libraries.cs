namespace Postern.Interop;

public static partial class Interop
{
    internal static class Libraries
    {
        // Linked statically into the AOT binaries (DirectPInvoke); loaded as libpostern_native.so
        // under the JIT in test runs.
        internal const string PosternNative = "libpostern_native";
        internal const string Libc = "libc";
    }
}
