/* The layout of the structs that cross the boundary, as this compiler lays them out: the managed
 * side's tests compare their mirrors with it field by field. */
#include "pal_types.h"

#include <errno.h>
#include <stddef.h>

#define FIELD(type, name) (int32_t) offsetof(type, name)
#define COUNT(array) (int32_t)(sizeof(array) / sizeof((array)[0]))

static const int32_t NfqPacketFields[] = {
    FIELD(PosternNfqPacket, PacketId),      FIELD(PosternNfqPacket, Mark),
    FIELD(PosternNfqPacket, InIfIndex),     FIELD(PosternNfqPacket, OutIfIndex),
    FIELD(PosternNfqPacket, PayloadOffset), FIELD(PosternNfqPacket, PayloadLength),
    FIELD(PosternNfqPacket, OriginalLength), FIELD(PosternNfqPacket, HwProtocol),
    FIELD(PosternNfqPacket, Hook),          FIELD(PosternNfqPacket, Padding),
};

static const int32_t RawDatagramFields[] = {
    FIELD(PosternRawDatagram, Offset),  FIELD(PosternRawDatagram, Length),
    FIELD(PosternRawDatagram, ScopeId), FIELD(PosternRawDatagram, Error),
};

static const int32_t UdpDatagramFields[] = {
    FIELD(PosternUdpDatagram, Offset),  FIELD(PosternUdpDatagram, Length),
    FIELD(PosternUdpDatagram, Address), FIELD(PosternUdpDatagram, LocalAddress),
    FIELD(PosternUdpDatagram, ScopeId), FIELD(PosternUdpDatagram, LocalIfIndex),
    FIELD(PosternUdpDatagram, Port),    FIELD(PosternUdpDatagram, Family),
    FIELD(PosternUdpDatagram, Flags),   FIELD(PosternUdpDatagram, Error),
};

static const int32_t NfqCountersFields[] = {
    FIELD(PosternNfqCounters, Overruns),    FIELD(PosternNfqCounters, Truncated),
    FIELD(PosternNfqCounters, Unparseable), FIELD(PosternNfqCounters, Unrecovered),
    FIELD(PosternNfqCounters, StartupAccepted),
};

int32_t PosternNative_StructLayout(int32_t which, int32_t* size, int32_t* offsets, int32_t max, int32_t* fieldCount)
{
    if (size == NULL || fieldCount == NULL || max < 0 || (max > 0 && offsets == NULL))
    {
        return EINVAL;
    }

    const int32_t* fields;
    int32_t count;
    switch (which)
    {
        case PosternLayoutNfqPacket:
            fields = NfqPacketFields;
            count = COUNT(NfqPacketFields);
            *size = (int32_t)sizeof(PosternNfqPacket);
            break;
        case PosternLayoutRawDatagram:
            fields = RawDatagramFields;
            count = COUNT(RawDatagramFields);
            *size = (int32_t)sizeof(PosternRawDatagram);
            break;
        case PosternLayoutUdpDatagram:
            fields = UdpDatagramFields;
            count = COUNT(UdpDatagramFields);
            *size = (int32_t)sizeof(PosternUdpDatagram);
            break;
        case PosternLayoutNfqCounters:
            fields = NfqCountersFields;
            count = COUNT(NfqCountersFields);
            *size = (int32_t)sizeof(PosternNfqCounters);
            break;
        default:
            return EINVAL;
    }

    for (int32_t i = 0; i < count && i < max; i++)
    {
        offsets[i] = fields[i];
    }
    *fieldCount = count;
    return 0;
}
