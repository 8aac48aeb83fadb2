/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the frame decoder. The first byte picks the link type, the
 * rest is the frame: libFuzzer hands over an exactly sized buffer, so ASan catches any
 * read at or past caplen. A successful decode must also describe bytes inside the
 * frame; anything else is a bug and traps.
 *
 * Seed corpus: every frame of the shared captures, each prefixed with the index of
 * its link type in pkt_fuzz_linktypes[] below.
 */
#include <stddef.h>
#include <stdint.h>

#include "wire/err.h"
#include "wire/pkt.h"

static const uint32_t pkt_fuzz_linktypes[] = {
	PKT_LINKTYPE_NULL, PKT_LINKTYPE_ETHERNET, PKT_LINKTYPE_DLT_RAW1, PKT_LINKTYPE_DLT_RAW2,
	PKT_LINKTYPE_RAW, PKT_LINKTYPE_LOOP, PKT_LINKTYPE_LINUX_SLL, PKT_LINKTYPE_IPV4,
	PKT_LINKTYPE_IPV6, PKT_LINKTYPE_LINUX_SLL2,
};
#define NLINKTYPES (sizeof(pkt_fuzz_linktypes) / sizeof(pkt_fuzz_linktypes[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi;

	if (size < 1 || size - 1 > UINT32_MAX)
		return 0;
	const uint8_t *frame = data + 1;
	uint32_t caplen = (uint32_t)(size - 1);
	int rc = pkt_decode(frame, caplen, pkt_fuzz_linktypes[data[0] % NLINKTYPES], &pi);

	if (rc > 0 || rc <= -DNSIFT_E_COUNT)
		__builtin_trap();
	if (rc < 0)
		return 0;
	if ((uint64_t)pi.l3_off + pi.l3_len > caplen || pi.payload < frame + pi.l3_off ||
	    pi.payload + pi.payload_len > frame + pi.l3_off + pi.l3_len ||
	    pi.vlan_count > PKT_MAX_VLANS || (pi.ip_version != 4 && pi.ip_version != 6))
		__builtin_trap();
	if (pi.l4_valid && (pi.l4_off <= pi.l3_off || pi.l4_off + 8u > pi.l3_off + pi.l3_len))
		__builtin_trap();
	if (!pi.l4_valid && !pi.is_fragment)
		__builtin_trap();
	return 0;
}
