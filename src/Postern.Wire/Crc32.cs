namespace Postern.Wire;

/// <summary>CRC-32 as in ISO 3309 / ITU-T V.42 (the one zlib and Ethernet use), which STUN's
/// FINGERPRINT is built on (RFC 8489 section 14.7). A table of 256 entries, built once.</summary>
public static class Crc32
{
    private const uint Polynomial = 0xEDB88320; // reflected 0x04C11DB7

    private static readonly uint[] s_table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint[] table = s_table;
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return ~crc;
    }
}
