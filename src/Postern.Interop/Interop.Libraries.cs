namespace Postern.Interop;

public static partial class Interop
{
    internal static class Libraries
    {
        // The one native library of Postern's own: linked statically into the AOT binaries
        // (DirectPInvoke), loaded as libpostern_native.so under the JIT in test runs. libc is
        // reached only through Tmds.LibC.
        internal const string PosternNative = "libpostern_native";
    }
}
