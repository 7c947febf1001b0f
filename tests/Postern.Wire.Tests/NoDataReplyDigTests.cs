using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Postern.Wire.Tests;

/// <summary>NoDataReply checked by a real DNS parser: dig sends its query to a UDP socket on
/// 127.0.0.1, the test reads it with DnsQuery, answers with NoDataReply, and reads what dig
/// printed.</summary>
public class NoDataReplyDigTests
{
    private const uint NegativeTtl = 300;

    [DigTheory]
    [InlineData("AAAA Example.COM +dnssec", true)]
    [InlineData("AAAA example.com", true)]
    [InlineData("AAAA example.com +noedns", true)]
    [InlineData("HTTPS example.com +cdflag", true)]
    [InlineData("A example.com", false)]
    public async Task Dig_ReadsReplyAsNoErrorWithSoaInAuthority(string digArguments, bool includeSoa)
    {
        string[] arguments = digArguments.Split(' ');
        string queryName = arguments[1];
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
        using Process dig = Dig.Start(port, arguments);
        Task<string> output = dig.StandardOutput.ReadToEndAsync();
        Task<string> errors = dig.StandardError.ReadToEndAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        UdpReceiveResult received = await socket.ReceiveAsync(timeout.Token);
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(received.Buffer, out DnsQuery query));
        byte[] reply = new byte[NoDataReply.MaxLength(query.QuestionEnd)];
        int length = NoDataReply.Write(received.Buffer, query, includeSoa, NegativeTtl, reply);
        Assert.True(length > 0);
        await socket.SendAsync(reply.AsMemory(0, length), received.RemoteEndPoint, timeout.Token);
        await dig.WaitForExitAsync(timeout.Token);
        string printed = await output;
        string diagnostics = printed + await errors;

        Assert.True(dig.ExitCode == 0, $"dig exited with {dig.ExitCode}:\n{diagnostics}");
        Assert.Contains($"status: NOERROR, id: {query.Header.Id}", printed);
        Assert.Contains($"QUERY: 1, ANSWER: 0, AUTHORITY: {(includeSoa ? 1 : 0)}, ADDITIONAL: {(query.HasOpt ? 1 : 0)}", printed);
        Assert.DoesNotContain("WARNING", printed, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("malformed", diagnostics, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("mismatch", diagnostics, StringComparison.OrdinalIgnoreCase);

        // dig echoes the question as sent, case included.
        Assert.Matches(new Regex($@"^;{Regex.Escape(queryName)}\.\s+IN\s+{arguments[0]}$", RegexOptions.Multiline), printed);
        var soaLine = new Regex(
            $@"^{Regex.Escape(queryName)}\.\s+{NegativeTtl}\s+IN\s+SOA\s+postern\.invalid\. hostmaster\.postern\.invalid\. 1 3600 600 86400 {NegativeTtl}$",
            RegexOptions.Multiline);
        if (includeSoa)
        {
            Assert.Matches(soaLine, printed);
        }
        else
        {
            Assert.DoesNotMatch(soaLine, printed);
        }

        if (query.HasOpt)
        {
            string doFlag = query.DnssecOk ? " do" : "";
            Assert.Contains($"; EDNS: version: 0, flags:{doFlag}; udp: {NoDataReply.AdvertisedUdpPayloadSize}", printed);
        }
        else
        {
            Assert.DoesNotContain("OPT PSEUDOSECTION", printed);
        }

        string expectedFlags = (query.Header.Flags & DnsHeader.FlagCD) != 0 ? "flags: qr rd ra cd;" : "flags: qr rd ra;";
        Assert.Contains(expectedFlags, printed);
    }
}
