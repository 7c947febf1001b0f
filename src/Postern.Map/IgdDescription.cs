using System.Xml;

namespace Postern.Map;

/// <summary>The WAN connection service of an Internet Gateway Device, from its description
/// (UPnP Device Architecture 1.1, section 2.3; IGD:2 and IGD:1): the service type to name in SOAP
/// and the absolute control URL. WANIPConnection:2 is preferred, then :1, then
/// WANPPPConnection:1, wherever they sit in the nested devices.</summary>
public sealed record IgdDescription(string ServiceType, Uri ControlUrl)
{
    /// <summary>Descriptions larger than this are refused (miniupnpd's is about 4 KB).</summary>
    public const int MaxLength = 64 * 1024;

    public static readonly string[] ServiceTypes =
    {
        "urn:schemas-upnp-org:service:WANIPConnection:2",
        "urn:schemas-upnp-org:service:WANIPConnection:1",
        "urn:schemas-upnp-org:service:WANPPPConnection:1",
    };

    /// <summary>Reads a description fetched from <paramref name="location"/>; null with a
    /// <paramref name="problem"/> when it is not XML, too large, or has no usable service. The
    /// control URL is relative to URLBase when there is one (UDA 1.0), else to LOCATION (UDA 1.1).</summary>
    public static IgdDescription? Parse(string xml, Uri location, out string? problem)
    {
        problem = null;
        if (xml.Length > MaxLength)
        {
            problem = $"the description is larger than {MaxLength} characters";
            return null;
        }
        string? urlBase = null;
        int best = int.MaxValue;
        string? bestControl = null;
        try
        {
            using var reader = UpnpXml.CreateReader(xml, MaxLength);
            bool root = false;
            // ReadElementContentAsString moves past the element: the loop reads on only otherwise.
            reader.Read();
            for (; !reader.EOF; reader.Read())
            {
                while (reader.NodeType == XmlNodeType.Element && root && reader.LocalName == "URLBase" && reader.Depth == 1)
                {
                    urlBase = reader.ReadElementContentAsString().Trim();
                }
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }
                if (!root)
                {
                    root = true;
                    if (reader.LocalName != "root")
                    {
                        problem = $"the description's root element is <{reader.LocalName}>, not <root>";
                        return null;
                    }
                    continue;
                }
                if (reader.LocalName == "service")
                {
                    (string? type, string? control) = ReadService(reader.ReadSubtree());
                    int rank = type is null ? -1 : Array.IndexOf(ServiceTypes, type);
                    if (rank >= 0 && rank < best && !string.IsNullOrEmpty(control))
                    {
                        best = rank;
                        bestControl = control;
                    }
                }
            }
        }
        catch (XmlException e)
        {
            problem = "the description is not well-formed XML: " + e.Message;
            return null;
        }
        if (bestControl is null)
        {
            problem = "the description has no WANIPConnection or WANPPPConnection service with a controlURL";
            return null;
        }
        Uri baseUri = location;
        if (!string.IsNullOrEmpty(urlBase))
        {
            if (!Uri.TryCreate(urlBase, UriKind.Absolute, out Uri? parsed) || parsed.Scheme != Uri.UriSchemeHttp)
            {
                problem = $"the description's URLBase '{urlBase}' is not an absolute http URL";
                return null;
            }
            baseUri = parsed;
        }
        if (!Uri.TryCreate(baseUri, bestControl, out Uri? controlUrl) || controlUrl.Scheme != Uri.UriSchemeHttp)
        {
            problem = $"the controlURL '{bestControl}' does not make an http URL";
            return null;
        }
        return new IgdDescription(ServiceTypes[best], controlUrl);
    }

    private static (string? Type, string? Control) ReadService(XmlReader service)
    {
        string? type = null;
        string? control = null;
        using (service)
        {
            service.Read();
            service.Read();
            while (!service.EOF)
            {
                if (service.NodeType == XmlNodeType.Element && service.Depth == 1 && service.LocalName == "serviceType")
                {
                    type = service.ReadElementContentAsString().Trim();
                }
                else if (service.NodeType == XmlNodeType.Element && service.Depth == 1 && service.LocalName == "controlURL")
                {
                    control = service.ReadElementContentAsString().Trim();
                }
                else
                {
                    service.Read();
                }
            }
        }
        return (type, control);
    }
}
