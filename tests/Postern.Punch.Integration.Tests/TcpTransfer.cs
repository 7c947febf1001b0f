using System.Diagnostics;
using System.Security.Cryptography;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>A TCP transfer through a tunnel: socat sends <see cref="Bytes"/> random bytes from a
/// file on one host to a listener on the other's tunnel address; the copy must hash the same.</summary>
internal static class TcpTransfer
{
    public const int Bytes = 4 << 20;

    /// <summary>The transfer, and how long it took from the sender's start to the copy's end.</summary>
    public static TimeSpan Run(PunchSite from, PunchSite to, string toAddress, ScratchDirectory scratch)
    {
        string source = scratch.Combine("transfer.src");
        string copy = scratch.Combine("transfer.got");
        File.WriteAllBytes(source, RandomNumberGenerator.GetBytes(Bytes));
        File.Delete(copy);
        using BackgroundProcess receiver = to.Start("socat", "-d", "-d", "-u", $"TCP-LISTEN:5001,bind={toAddress},reuseaddr", $"CREATE:{copy}");
        Assert.True(receiver.WaitForOutput("listening on", TimeSpan.FromSeconds(20)), receiver.Output);
        var clock = Stopwatch.StartNew();
        from.Run(TimeSpan.FromSeconds(120), "socat", "-u", $"OPEN:{source}", $"TCP:{toAddress}:5001,connect-timeout=20").EnsureSuccess();
        Assert.True(receiver.WaitForExit(TimeSpan.FromSeconds(60)), receiver.Output);
        TimeSpan took = clock.Elapsed;
        Assert.Equal(0, receiver.ExitCode);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(source))), Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(copy))));
        return took;
    }
}
