using System.Text;
using System.Xml;
using Postern.Map;
using Xunit;

namespace Postern.Map.Tests;

/// <summary>SSDP answers, IGD descriptions and SOAP envelopes, as read and written by postern-map's
/// UPnP client: the forms real gateways send, and what hostile or broken ones might.</summary>
public sealed class UpnpCodecTests
{
    // The form of miniupnpd 2.3's answer to an IGD:1 search (its header order and values).
    private const string MiniUpnpdAnswer =
        "HTTP/1.1 200 OK\r\n" +
        "CACHE-CONTROL: max-age=120\r\n" +
        "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n" +
        "USN: uuid:00000000-0000-0000-0000-000000000000::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n" +
        "EXT:\r\n" +
        "SERVER: Debian/12 UPnP/1.1 MiniUPnPd/2.3.1\r\n" +
        "LOCATION: http://198.51.100.1:5000/rootDesc.xml\r\n" +
        "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n" +
        "01-NLS: 1\r\n" +
        "BOOTID.UPNP.ORG: 1\r\n" +
        "CONFIGID.UPNP.ORG: 1337\r\n" +
        "\r\n";

    [Fact]
    public void AnSsdpAnswerGivesItsLocationAndSearchTarget()
    {
        Assert.True(Ssdp.TryReadResponse(Encoding.ASCII.GetBytes(MiniUpnpdAnswer), out Uri? location, out string? target));
        Assert.Equal("http://198.51.100.1:5000/rootDesc.xml", location!.ToString());
        Assert.Equal("urn:schemas-upnp-org:device:InternetGatewayDevice:1", target);
    }

    [Fact]
    public void HeaderNamesAreCaseInsensitiveAndLfAloneIsEnough()
    {
        string answer = "HTTP/1.1 200 OK\nst: urn:schemas-upnp-org:device:InternetGatewayDevice:2\nLocation:http://192.0.2.1:1780/desc\n\n";
        Assert.True(Ssdp.TryReadResponse(Encoding.ASCII.GetBytes(answer), out Uri? location, out string? target));
        Assert.Equal(1780, location!.Port);
        Assert.EndsWith(":2", target, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NOTIFY * HTTP/1.1\r\nNT: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: http://198.51.100.1:5000/rootDesc.xml\r\n\r\n")]
    [InlineData("HTTP/1.1 404 Not Found\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: http://198.51.100.1:5000/rootDesc.xml\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:MediaServer:1\r\nLOCATION: http://198.51.100.1:5000/rootDesc.xml\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: https://198.51.100.1/rootDesc.xml\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: /rootDesc.xml\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nLOCATION: http://198.51.100.1:5000/rootDesc.xml\r\n\r\n")]
    [InlineData("HTTP/1.1 200")]
    [InlineData("")]
    public void OtherDatagramsAreNoAnswer(string datagram)
    {
        Assert.False(Ssdp.TryReadResponse(Encoding.ASCII.GetBytes(datagram), out Uri? location, out string? target));
        Assert.Null(location);
        Assert.Null(target);
    }

    [Fact]
    public void BinaryAndOversizeDatagramsAreNoAnswer()
    {
        byte[] binary = Encoding.ASCII.GetBytes(MiniUpnpdAnswer);
        binary[20] = 0;
        Assert.False(Ssdp.TryReadResponse(binary, out _, out _));
        byte[] high = Encoding.ASCII.GetBytes(MiniUpnpdAnswer);
        high[20] = 0xc3;
        Assert.False(Ssdp.TryReadResponse(high, out _, out _));
        string padded = MiniUpnpdAnswer.Replace("EXT:\r\n", "X-PAD: " + new string('a', Ssdp.MaxResponseLength) + "\r\n", StringComparison.Ordinal);
        Assert.False(Ssdp.TryReadResponse(Encoding.ASCII.GetBytes(padded), out _, out _));
    }

    [Fact]
    public void TheSearchNamesTheGroupTheMxAndTheTarget()
    {
        string request = Encoding.ASCII.GetString(Ssdp.SearchRequest(Ssdp.SearchTargets[1]));
        Assert.StartsWith("M-SEARCH * HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("HOST: 239.255.255.250:1900\r\n", request, StringComparison.Ordinal);
        Assert.Contains("MAN: \"ssdp:discover\"\r\n", request, StringComparison.Ordinal);
        Assert.Contains("MX: 2\r\n", request, StringComparison.Ordinal);
        Assert.Contains("ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n", request, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", request, StringComparison.Ordinal);
    }

    private static readonly Uri s_location = new("http://198.51.100.1:5000/rootDesc.xml");

    /// <summary>An IGD:1 description in miniupnpd's layout: the WAN connection service two devices deep.</summary>
    private static string Description(string urlBase, string wanServices) =>
        "<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><specVersion><major>1</major><minor>1</minor></specVersion>" + urlBase +
        "<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>" +
        "<serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId>" +
        "<controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL><SCPDURL>/L3F.xml</SCPDURL></service></serviceList>" +
        "<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>" +
        "<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><controlURL>/ctl/CmnIfCfg</controlURL></service></serviceList>" +
        "<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>" +
        "<serviceList>" + wanServices + "</serviceList></device></deviceList></device></deviceList></device></root>";

    private static string Service(string type, string control) =>
        $"<service>\n  <serviceType>{type}</serviceType>\n  <serviceId>urn:upnp-org:serviceId:X</serviceId>\n  <controlURL>{control}</controlURL>\n  <eventSubURL>/evt</eventSubURL>\n</service>";

    [Fact]
    public void WithoutUrlBaseTheControlUrlIsRelativeToTheLocation()
    {
        IgdDescription? igd = IgdDescription.Parse(Description("", Service("urn:schemas-upnp-org:service:WANIPConnection:1", "/ctl/IPConn")), s_location, out string? problem);
        Assert.True(igd is not null, problem);
        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:1", igd.ServiceType);
        Assert.Equal("http://198.51.100.1:5000/ctl/IPConn", igd.ControlUrl.ToString());
    }

    [Fact]
    public void UrlBaseWinsOverTheLocation()
    {
        string xml = Description("<URLBase>http://198.51.100.1:49152/</URLBase>", Service("urn:schemas-upnp-org:service:WANIPConnection:1", "upnp/control/WANIPConn1"));
        IgdDescription? igd = IgdDescription.Parse(xml, s_location, out string? problem);
        Assert.True(igd is not null, problem);
        Assert.Equal("http://198.51.100.1:49152/upnp/control/WANIPConn1", igd.ControlUrl.ToString());
    }

    [Fact]
    public void WanIpConnection2IsPreferredWhereverItIs()
    {
        string services = Service("urn:schemas-upnp-org:service:WANPPPConnection:1", "/ppp") +
                          Service("urn:schemas-upnp-org:service:WANIPConnection:1", "/ip1") +
                          Service("urn:schemas-upnp-org:service:WANIPConnection:2", "/ip2");
        IgdDescription? igd = IgdDescription.Parse(Description("", services), s_location, out string? problem);
        Assert.True(igd is not null, problem);
        Assert.Equal("urn:schemas-upnp-org:service:WANIPConnection:2", igd.ServiceType);
        Assert.Equal("/ip2", igd.ControlUrl.AbsolutePath);
    }

    [Fact]
    public void APppOnlyGatewayIsUsedOverWanPppConnection()
    {
        IgdDescription? igd = IgdDescription.Parse(Description("", Service("urn:schemas-upnp-org:service:WANPPPConnection:1", "http://198.51.100.1:80/ppp")), s_location, out string? problem);
        Assert.True(igd is not null, problem);
        Assert.Equal("urn:schemas-upnp-org:service:WANPPPConnection:1", igd.ServiceType);
        Assert.Equal("http://198.51.100.1/ppp", igd.ControlUrl.ToString());
    }

    [Theory]
    [InlineData("<root><device>", "not well-formed")]
    [InlineData("not xml at all", "not well-formed")]
    [InlineData("<scpd><serviceList/></scpd>", "not <root>")]
    [InlineData("<root><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType></service></serviceList></device></root>", "no WANIPConnection")]
    [InlineData("<root><URLBase>ftp://198.51.100.1/</URLBase><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>/c</controlURL></service></serviceList></device></root>", "not an absolute http URL")]
    [InlineData("<root><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>file:///etc/passwd</controlURL></service></serviceList></device></root>", "does not make an http URL")]
    public void ABrokenDescriptionSaysWhy(string xml, string why)
    {
        Assert.Null(IgdDescription.Parse(xml, s_location, out string? problem));
        Assert.Contains(why, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AHugeOrEntityLadenDescriptionIsRefused()
    {
        string huge = Description("", string.Concat(Enumerable.Repeat(Service("urn:x:other:1", "/x"), 1000)));
        Assert.True(huge.Length > IgdDescription.MaxLength);
        Assert.Null(IgdDescription.Parse(huge, s_location, out string? problem));
        Assert.Contains("larger than", problem, StringComparison.Ordinal);

        string laughs = "<?xml version=\"1.0\"?><!DOCTYPE root [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><root>&b;</root>";
        Assert.Null(IgdDescription.Parse(laughs, s_location, out problem));
        Assert.Contains("not well-formed", problem, StringComparison.Ordinal);
    }

    private const string WanIp1 = "urn:schemas-upnp-org:service:WANIPConnection:1";

    [Fact]
    public void TheRequestCarriesEveryArgumentInOrderEscaped()
    {
        string body = UpnpSoap.Request(WanIp1, "AddPortMapping", new[]
        {
            ("NewRemoteHost", ""),
            ("NewExternalPort", "40000"),
            ("NewPortMappingDescription", "a<b&\"c\""),
        });
        var document = new XmlDocument();
        document.LoadXml(body);
        var names = new XmlNamespaceManager(document.NameTable);
        names.AddNamespace("s", "http://schemas.xmlsoap.org/soap/envelope/");
        names.AddNamespace("u", WanIp1);
        XmlNode action = document.SelectSingleNode("/s:Envelope/s:Body/u:AddPortMapping", names)!;
        Assert.NotNull(action);
        Assert.Equal("http://schemas.xmlsoap.org/soap/encoding/", document.DocumentElement!.GetAttribute("encodingStyle", "http://schemas.xmlsoap.org/soap/envelope/"));
        Assert.Equal(new[] { "NewRemoteHost", "NewExternalPort", "NewPortMappingDescription" }, action.ChildNodes.Cast<XmlNode>().Select(n => n.Name));
        Assert.Equal(new[] { "", "40000", "a<b&\"c\"" }, action.ChildNodes.Cast<XmlNode>().Select(n => n.InnerText));
        Assert.Equal("\"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"", UpnpSoap.SoapAction(WanIp1, "AddPortMapping"));
    }

    [Fact]
    public void AnAnswerGivesItsOutputArguments()
    {
        string body = "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">" +
                      "<s:Body><u:GetExternalIPAddressResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">" +
                      "<NewExternalIPAddress>203.0.113.40</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>\r\n";
        UpnpSoapResult result = UpnpSoap.ReadResponse(200, body, "GetExternalIPAddress");
        Assert.True(result.Ok, result.Problem);
        Assert.Equal("203.0.113.40", result.Values!["NewExternalIPAddress"]);

        UpnpSoapResult empty = UpnpSoap.ReadResponse(200, body.Replace("GetExternalIPAddress", "AddPortMapping", StringComparison.Ordinal)
            .Replace("<NewExternalIPAddress>203.0.113.40</NewExternalIPAddress>", "", StringComparison.Ordinal), "AddPortMapping");
        Assert.True(empty.Ok, empty.Problem);
        Assert.Empty(empty.Values!);
    }

    private static string Fault(string code, string description) =>
        "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">" +
        "<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>" +
        "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" + code + "</errorCode><errorDescription>" + description + "</errorDescription></UPnPError>" +
        "</detail></s:Fault></s:Body></s:Envelope>\r\n";

    [Theory]
    [InlineData(718, "ConflictInMappingEntry")]
    [InlineData(725, "OnlyPermanentLeasesSupported")]
    [InlineData(606, "Action not authorized")]
    public void AFaultGivesItsUpnpErrorCode(int code, string description)
    {
        UpnpSoapResult result = UpnpSoap.ReadResponse(500, Fault(code.ToString(System.Globalization.CultureInfo.InvariantCulture), description), "AddPortMapping");
        Assert.False(result.Ok);
        Assert.True(result.Refused);
        Assert.Equal(code, result.ErrorCode);
        Assert.Equal(description, result.ErrorDescription);
    }

    [Theory]
    [InlineData(500, "", "not well-formed")]
    [InlineData(500, "<html><body>Internal Server Error</body></html>", "without a UPnPError")]
    [InlineData(500, "<e><UPnPError><errorCode>-1</errorCode></UPnPError></e>", "without a valid errorCode")]
    [InlineData(500, "<e><UPnPError><errorCode>99999999999</errorCode></UPnPError></e>", "without a valid errorCode")]
    [InlineData(500, "<e><UPnPError><errorDescription>x</errorDescription></UPnPError></e>", "without a valid errorCode")]
    [InlineData(200, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>", "without a AddPortMappingResponse")]
    [InlineData(200, "<a><AddPortMappingResponse><x><y>nested</y></x></AddPortMappingResponse></a>", "not well-formed")]
    [InlineData(401, "<a><b>", "not well-formed")]
    public void ABrokenAnswerIsAProblemNotAThrow(int status, string body, string why)
    {
        UpnpSoapResult result = UpnpSoap.ReadResponse(status, body, "AddPortMapping");
        Assert.False(result.Ok);
        Assert.False(result.Refused);
        Assert.Contains(why, result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AHugeAnswerIsRefusedUnread()
    {
        string body = Fault("718", new string('x', UpnpSoap.MaxResponseLength));
        UpnpSoapResult result = UpnpSoap.ReadResponse(500, body, "AddPortMapping");
        Assert.False(result.Ok);
        Assert.Contains("larger than", result.Problem, StringComparison.Ordinal);
    }
}
