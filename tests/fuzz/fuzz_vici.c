/* fuzz_vici.c - libFuzzer target for the VICI decoder: decode every segment of the input as a
 * stream, re-encode each decoded packet and require the same bytes back; also decode the whole
 * input as a bare message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vici.h"

static void round_trip(const struct vici_packet *p, const uint8_t *seg, size_t len)
{
	struct vici_msg m;
	struct buf out;

	vici_msg_init(&m);
	buf_init(&out);
	vici_msg_add_node(&m, p->msg);
	if (vici_packet_build(p->type, p->name, &m, &out) != 0 || out.len != len ||
	    memcmp(out.data, seg, len) != 0)
		abort();
	vici_msg_free(&m);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_node *n = NULL;
	struct vici_err err;
	size_t pos = 0;

	while (pos < size) {
		struct vici_packet p;
		size_t used;

		if (vici_packet_decode(data + pos, size - pos, &used, &p, &err) != 0)
			break;
		round_trip(&p, data + pos, used);
		vici_find_str(p.msg, "a.b", NULL);
		vici_packet_clear(&p);
		pos += used;
	}
	if (vici_msg_decode(data, size, &n, &err) == 0)
		vici_node_free(n);
	return 0;
}
