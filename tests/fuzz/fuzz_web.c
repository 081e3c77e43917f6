/* fuzz_web.c - libFuzzer target for what the web status renders from outside bytes: input
 * starting with '{' is a status document (JSON) rendered as Prometheus text; anything else is
 * a VICI segment stream whose list-sa events go through status_build_sas (with a fixed tunnel
 * file) and then the renderer. Both must never crash, and the metrics text must end in a
 * newline with every line a comment or "NAME[{LABELS}] VALUE". */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "web_metrics.h"

#define FUZZ_MAX_EVENTS 64

static const char tunnels[] =
	"tunnels {\n 1 {\n remote_gateway = 192.0.2.2\n psk = \"fuzz-shared-secret-0123\"\n"
	"  phase2 {\n   1 {\n    local = 10.1.0.0/24\n    remote = 10.2.0.0/24\n   }\n"
	"   2 {\n    local = 10.1.1.0/24\n    remote = 10.2.1.0/24\n   }\n  }\n }\n"
	" 2 {\n version = ikev1\n remote_gateway = 192.0.2.3\n psk = \"fuzz-shared-secret-4567\"\n"
	"  phase2 {\n   3 {\n    local = 10.1.3.0/24\n    remote = 10.2.3.0/24\n   }\n  }\n }\n}\n";

static void check_metrics(const json_t *doc)
{
	struct buf b;

	buf_init(&b);
	web_metrics_render(doc, 1000000, &b);
	if (!b.len || b.data[b.len - 1] != '\n' || strlen(b.data) != b.len)
		abort();
	for (char *line = b.data; *line; line = strchr(line, '\n') + 1) {
		char *end = strchr(line, '\n');

		if (line[0] != '#' && !memchr(line, ' ', (size_t)(end - line)))
			abort();
		if (memchr(line, '\n', (size_t)(end - line)))
			abort();
	}
	buf_free(&b);
}

static struct tunnel_file *fuzz_tunnels(void)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_from_tree(conf_parse("f.conf", tunnels, strlen(tunnels), NULL, &errs), &errs);

	tc_errors_free(&errs);
	if (!tf)
		abort();
	return tf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_node *ev[FUZZ_MAX_EVENTS];
	struct tunnel_file *tf;
	size_t pos = 0, n = 0, used;
	json_t *doc;

	if (size && data[0] == '{') {
		doc = json_loadb((const char *)data, size, 0, NULL);
		if (doc)
			check_metrics(doc);
		json_decref(doc);
		return 0;
	}
	while (pos < size && n < FUZZ_MAX_EVENTS) {
		struct vici_packet pkt;
		struct vici_err err;

		if (vici_packet_decode(data + pos, size - pos, &used, &pkt, &err) != 0)
			break;
		pos += used;
		if (pkt.type == VICI_EVENT && pkt.msg) {
			ev[n++] = pkt.msg;
			pkt.msg = NULL;
		}
		vici_packet_clear(&pkt);
	}
	tf = fuzz_tunnels();
	doc = json_pack("{s:I, s:{s:b}, s:o}", "generated", (json_int_t)999990, "charon", "reachable", 1,
			"ike_sas", status_build_sas(tf, ev, n));
	check_metrics(doc);
	json_decref(doc);
	for (size_t i = 0; i < n; i++)
		vici_node_free(ev[i]);
	tunnel_file_free(tf);
	return 0;
}
