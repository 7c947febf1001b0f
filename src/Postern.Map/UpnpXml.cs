using System.Xml;

namespace Postern.Map;

/// <summary>The XML reader for what an IGD sends: no DTD (an entity can neither expand nor reach
/// out), no resolver, at most <paramref name="maxCharacters"/> characters, comments, processing
/// instructions and whitespace dropped.</summary>
internal static class UpnpXml
{
    public static XmlReader CreateReader(string document, int maxCharacters) => XmlReader.Create(new StringReader(document), new XmlReaderSettings
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = maxCharacters,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
    });
}
