using Postern.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Postern.Socks.Tests;

/// <summary>A session that ends after its server stopped posts to a relay whose epoll is
/// closed. Its wake-up must not write into whatever file took the eventfd's number since: in
/// the test host that number went to the runner's own connection, and eight stray bytes there
/// aborted the whole test run.</summary>
public sealed unsafe class EpollWakeTests
{
    [Fact]
    public void Waking_a_disposed_epoll_writes_nothing_into_the_descriptor_that_took_its_number()
    {
        HashSet<int> before = EventFds();
        Assert.Equal(0, Epoll.Open(out Epoll? epoll));
        int wake = Assert.Single(EventFds().Except(before));
        int* ends = stackalloc int[2];
        Assert.Equal(0, pipe2(ends, O_CLOEXEC | O_NONBLOCK));
        var copies = new List<int>();
        try
        {
            epoll!.Dispose();
            // A new descriptor takes the lowest free number: copy the pipe's write end until a
            // copy lands on the eventfd's old number (holes below it fill first).
            for (int i = 0; i < 256 && !copies.Contains(wake); i++)
            {
                int copy = dup(ends[1]);
                Assert.True(copy >= 0, "dup failed");
                copies.Add(copy);
            }
            Assert.True(copies.Contains(wake), $"no copy of the pipe took descriptor {wake} in 256 tries");

            epoll.Wake();

            byte* buffer = stackalloc byte[16];
            long read = LibC.read(ends[0], buffer, 16);
            Assert.True(read < 0 && errno == EAGAIN, $"Wake wrote {read} bytes into descriptor {wake}, which is not its eventfd any more");
        }
        finally
        {
            foreach (int copy in copies)
            {
                close(copy);
            }
            close(ends[0]);
            close(ends[1]);
        }
    }

    private static HashSet<int> EventFds()
    {
        var found = new HashSet<int>();
        foreach (string path in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(path).LinkTarget == "anon_inode:[eventfd]")
                {
                    found.Add(int.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }
        return found;
    }
}
