using Postern.Interop;
using Tmds.Linux;

namespace Postern.Hosting.Tests;

public class FdHandleTests
{
    private static bool IsOpen(int fd) => File.Exists($"/proc/self/fd/{fd}") || Directory.Exists($"/proc/self/fd/{fd}") || new FileInfo($"/proc/self/fd/{fd}").LinkTarget is not null;

    [Fact]
    public void Dispose_ClosesTheDescriptorOnce()
    {
        int error = Sockets.OpenUdp(System.Net.IPAddress.Loopback, 0, reusePort: false, 0, out FdHandle handle, out ushort port);
        Assert.Equal(0, error);
        Assert.NotEqual(0, port);
        int fd = handle.Value;
        Assert.True(IsOpen(fd));

        handle.Dispose();
        handle.Dispose();

        Assert.False(IsOpen(fd));
        Assert.True(handle.IsClosed);
    }

    [Fact]
    public void Invalid_IsNeverClosed()
    {
        using var handle = new FdHandle();
        Assert.True(handle.IsInvalid);
        Assert.Equal(-1, handle.Value);
    }

    [Fact]
    public void NotOwned_IsLeftOpen()
    {
        int error = Sockets.OpenUdp(System.Net.IPAddress.Loopback, 0, reusePort: false, 0, out FdHandle owner, out _);
        Assert.Equal(0, error);
        using (owner)
        {
            new FdHandle(owner.Value, ownsHandle: false).Dispose();
            Assert.True(IsOpen(owner.Value));
        }
    }

    [Fact]
    public void FailedBind_ReturnsTheErrno_AndLeavesNoDescriptor()
    {
        int before = Directory.GetFiles("/proc/self/fd").Length;
        // 192.0.2.1 (TEST-NET-1) is not an address of this host: EADDRNOTAVAIL.
        int error = Sockets.OpenUdp(System.Net.IPAddress.Parse("192.0.2.1"), 0, reusePort: false, 0, out FdHandle handle, out _);

        Assert.Equal(LibC.EADDRNOTAVAIL, error);
        Assert.True(handle.IsInvalid);
        Assert.True(Directory.GetFiles("/proc/self/fd").Length <= before);
    }
}
