using System.Text;
using System.Xml;

namespace Postern.Map;

/// <summary>How a SOAP action ended: its output arguments, or the UPnP error a fault carried
/// (UDA 1.1 section 3.2.2), or a problem with the answer itself.</summary>
public sealed record UpnpSoapResult(IReadOnlyDictionary<string, string>? Values, int ErrorCode, string? ErrorDescription, string? Problem)
{
    public bool Ok => Values is not null;

    /// <summary>A fault with a UPnPError code (the gateway's own refusal).</summary>
    public bool Refused => ErrorCode != 0;
}

/// <summary>SOAP 1.1 as UPnP control uses it (UDA 1.1 section 3.2): the request envelope for an
/// action of the WAN connection service, and the answer read back with XmlReader, bounded.</summary>
public static class UpnpSoap
{
    public const int MaxResponseLength = 16 * 1024;

    /// <summary>Error codes of WANIPConnection (IGD:2 section 2.4.16ff) that postern-map names.</summary>
    public const int ConflictInMappingEntry = 718;
    public const int OnlyPermanentLeasesSupported = 725;

    public static readonly int[] KnownErrors = { 401, 402, 501, 606, 714, 715, 716, 718, 724, 725, 726, 727, 728, 729 };

    public static string ErrorName(int code) => code switch
    {
        401 => "InvalidAction",
        402 => "InvalidArgs",
        501 => "ActionFailed",
        606 => "ActionNotAuthorized",
        714 => "NoSuchEntryInArray",
        715 => "WildCardNotPermittedInSrcIP",
        716 => "WildCardNotPermittedInExtPort",
        718 => "ConflictInMappingEntry",
        724 => "SamePortValuesRequired",
        725 => "OnlyPermanentLeasesSupported",
        726 => "RemoteHostOnlySupportsWildcard",
        727 => "ExternalPortOnlySupportsWildcard",
        728 => "NoPortMapsAvailable",
        729 => "ConflictWithOtherMechanisms",
        _ => "error " + code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The SOAPAction header's value: the quoted service type and action.</summary>
    public static string SoapAction(string serviceType, string action) => $"\"{serviceType}#{action}\"";

    public static string Request(string serviceType, string action, IReadOnlyList<(string Name, string Value)> arguments)
    {
        var body = new StringBuilder(512);
        body.Append("<?xml version=\"1.0\"?>\r\n")
            .Append("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">")
            .Append("<s:Body><u:").Append(action).Append(" xmlns:u=\"").Append(Escape(serviceType)).Append("\">");
        foreach ((string name, string value) in arguments)
        {
            body.Append('<').Append(name).Append('>').Append(Escape(value)).Append("</").Append(name).Append('>');
        }
        body.Append("</u:").Append(action).Append("></s:Body></s:Envelope>\r\n");
        return body.ToString();
    }

    private static string Escape(string value) =>
        value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
             .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);

    /// <summary>Reads the answer to <paramref name="action"/>: with HTTP status 200 the output
    /// arguments of its <c>actionResponse</c> element; otherwise (500) the fault's UPnPError
    /// errorCode and errorDescription. Never throws: a body that is not XML, too large, or holds
    /// neither comes back as a <see cref="UpnpSoapResult.Problem"/>.</summary>
    public static UpnpSoapResult ReadResponse(int status, string body, string action)
    {
        if (body.Length > MaxResponseLength)
        {
            return new UpnpSoapResult(null, 0, null, $"HTTP {status} with a body larger than {MaxResponseLength} characters");
        }
        try
        {
            using var reader = UpnpXml.CreateReader(body, MaxResponseLength);
            if (status == 200)
            {
                if (!Find(reader, action + "Response"))
                {
                    return new UpnpSoapResult(null, 0, null, $"HTTP 200 without a {action}Response element");
                }
                return new UpnpSoapResult(ReadChildren(reader), 0, null, null);
            }
            if (!Find(reader, "UPnPError"))
            {
                return new UpnpSoapResult(null, 0, null, $"HTTP {status} without a UPnPError");
            }
            IReadOnlyDictionary<string, string> error = ReadChildren(reader);
            if (!error.TryGetValue("errorCode", out string? codeText) ||
                !int.TryParse(codeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int code) ||
                code is <= 0 or > 9999)
            {
                return new UpnpSoapResult(null, 0, null, $"HTTP {status} with a UPnPError without a valid errorCode");
            }
            error.TryGetValue("errorDescription", out string? description);
            return new UpnpSoapResult(null, code, description, null);
        }
        catch (XmlException e)
        {
            return new UpnpSoapResult(null, 0, null, $"HTTP {status} with a body that is not well-formed XML: {e.Message}");
        }
    }

    /// <summary>Moves to the next element of this local name, whatever its namespace.</summary>
    private static bool Find(XmlReader reader, string localName)
    {
        while (reader.NodeType != XmlNodeType.Element || reader.LocalName != localName)
        {
            if (!reader.Read())
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The text of each child element, by local name; the reader is on the parent.</summary>
    private static Dictionary<string, string> ReadChildren(XmlReader reader)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.IsEmptyElement)
        {
            return values;
        }
        int depth = reader.Depth;
        reader.Read();
        while (!reader.EOF && reader.Depth > depth)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth == depth + 1)
            {
                string name = reader.LocalName;
                values[name] = reader.ReadElementContentAsString().Trim();
            }
            else
            {
                reader.Read();
            }
        }
        return values;
    }
}
