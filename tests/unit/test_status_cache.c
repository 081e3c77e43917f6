/* test_status_cache.c - the document the daemon's web status serves, from list-sas: charon's
 * recorded bytes (tests/data/vici/list-sas.bin) and the lab's SA (key/values as charon sent
 * them, `swanctl --list-sas --raw`) merged with the tunnel file, configured entries without
 * an SA, missing children, and the Prometheus text of the result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "web_metrics.h"
#include "unit_helpers.h"

/* examples/lab-a.conf's tunnel, plus a split IKEv1 tunnel that is down. */
static const char tunnels[] =
	"tunnels {\n"
	" 1 {\n description = lab A to B\n local_address = 192.0.2.1\n remote_gateway = 192.0.2.2\n"
	"  psk = \"lab-shared-secret-0123456789\"\n start_action = start\n"
	"  phase2 {\n   1 {\n    description = LAN A to LAN B\n    local = 10.1.0.0/24\n    remote = 10.2.0.0/24\n   }\n  }\n }\n"
	" 2 {\n description = Branch\n version = ikev1\n local_address = 192.0.2.1\n remote_gateway = 198.51.100.7\n"
	"  psk = \"another-shared-secret-012345\"\n"
	"  phase2 {\n   3 {\n    description = servers\n    local = 10.1.0.0/24\n    remote = 10.30.0.0/16\n   }\n"
	"   4 {\n    local = 10.1.5.0/24\n    remote = 10.31.0.0/16\n   }\n  }\n }\n"
	"}\n";

static void kv(struct vici_msg *m, const char *k, const char *v)
{
	vici_msg_add_str(m, k, v);
}

/* The list-sa event of the lab's con1, as charon 5.9.8 sent it. */
static struct vici_node *lab_list_sa(const char *ike_name)
{
	struct vici_msg m;
	struct vici_node *n = NULL;
	struct vici_err err;

	vici_msg_init(&m);
	vici_msg_section_start(&m, ike_name);
	kv(&m, "uniqueid", "1");
	kv(&m, "version", "2");
	kv(&m, "state", "ESTABLISHED");
	kv(&m, "local-host", "192.0.2.1");
	kv(&m, "local-port", "4500");
	kv(&m, "local-id", "192.0.2.1");
	kv(&m, "remote-host", "192.0.2.2");
	kv(&m, "remote-port", "4500");
	kv(&m, "remote-id", "192.0.2.2");
	kv(&m, "initiator", "yes");
	kv(&m, "initiator-spi", "caae6697ab7380c5");
	kv(&m, "responder-spi", "4d71a68fe4e2e833");
	kv(&m, "nat-remote", "yes");
	kv(&m, "nat-any", "yes");
	kv(&m, "encr-alg", "AES_CBC");
	kv(&m, "encr-keysize", "256");
	kv(&m, "integ-alg", "HMAC_SHA2_256_128");
	kv(&m, "prf-alg", "PRF_HMAC_SHA2_256");
	kv(&m, "dh-group", "MODP_2048");
	kv(&m, "established", "1");
	kv(&m, "rekey-time", "24945");
	vici_msg_section_start(&m, "child-sas");
	vici_msg_section_start(&m, "con1-1");
	kv(&m, "name", "con1");
	kv(&m, "uniqueid", "1");
	kv(&m, "reqid", "1");
	kv(&m, "state", "INSTALLED");
	kv(&m, "mode", "TUNNEL");
	kv(&m, "protocol", "ESP");
	kv(&m, "encap", "yes");
	kv(&m, "spi-in", "5d853138");
	kv(&m, "spi-out", "15cac4c4");
	kv(&m, "encr-alg", "AES_CBC");
	kv(&m, "encr-keysize", "256");
	kv(&m, "integ-alg", "HMAC_SHA2_256_128");
	kv(&m, "bytes-in", "252");
	kv(&m, "packets-in", "3");
	kv(&m, "use-in", "0");
	kv(&m, "bytes-out", "252");
	kv(&m, "packets-out", "3");
	kv(&m, "use-out", "0");
	kv(&m, "rekey-time", "2932");
	kv(&m, "life-time", "3599");
	kv(&m, "install-time", "1");
	unit_msg_list(&m, "local-ts", "10.1.0.0/24", NULL);
	unit_msg_list(&m, "remote-ts", "10.2.0.0/24", NULL);
	vici_msg_section_end(&m);
	vici_msg_section_end(&m);
	vici_msg_section_end(&m);
	assert_int_equal(vici_msg_error(&m), 0);
	assert_int_equal(vici_msg_decode(m.b.data, m.b.len, &n, &err), 0);
	vici_msg_free(&m);
	return n;
}

static const json_t *entry(const json_t *sas, const char *name)
{
	const json_t *e;
	size_t i;

	json_array_foreach(sas, i, e)
		if (str_eq(json_string_value(json_object_get(e, "name")), name))
			return e;
	return NULL;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void test_build_from_lab_sa(void **state)
{
	struct tunnel_file *tf = unit_tunnels(tunnels);
	struct vici_node *ev = lab_list_sa("con1");
	json_t *sas = status_build_sas(tf, &ev, 1);
	const json_t *c1 = entry(sas, "con1"), *c2 = entry(sas, "con2"), *child;

	(void)state;
	assert_int_equal(json_array_size(sas), 2);
	/* the SA as charon reports it, with the tunnel file's words */
	assert_non_null(c1);
	assert_string_equal(str(c1, "state"), "ESTABLISHED");
	assert_string_equal(str(c1, "description"), "lab A to B");
	assert_string_equal(str(c1, "role"), "initiator");
	assert_string_equal(str(c1, "remote_host"), "192.0.2.2");
	assert_int_equal(num(c1, "remote_port"), 4500);
	assert_int_equal(num(c1, "uniqueid"), 1);
	assert_true(json_is_true(json_object_get(c1, "nat")));
	assert_string_equal(str(c1, "algorithms"), "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
	assert_int_equal(num(c1, "rekey_in"), 24945);
	child = json_array_get(json_object_get(c1, "children"), 0);
	assert_int_equal(json_array_size(json_object_get(c1, "children")), 1);
	assert_string_equal(str(child, "name"), "con1");
	assert_string_equal(str(child, "state"), "INSTALLED");
	assert_string_equal(str(child, "description"), "LAN A to LAN B");
	assert_string_equal(str(child, "algorithms"), "AES_CBC-256/HMAC_SHA2_256_128");
	assert_int_equal(num(child, "bytes_in"), 252);
	assert_int_equal(num(child, "packets_out"), 3);
	assert_int_equal(num(child, "installed"), 1);
	assert_int_equal(num(child, "expire_in"), 3599);
	assert_string_equal(json_string_value(json_array_get(json_object_get(child, "remote_ts"), 0)), "10.2.0.0/24");

	/* configured without an SA: disconnected, with its split children from the file */
	assert_non_null(c2);
	assert_string_equal(str(c2, "state"), "disconnected");
	assert_string_equal(str(c2, "remote_host"), "198.51.100.7");
	assert_int_equal(num(c2, "version"), 1);
	assert_int_equal(json_array_size(json_object_get(c2, "children")), 2);
	child = json_array_get(json_object_get(c2, "children"), 0);
	assert_string_equal(str(child, "name"), "con2_3");
	assert_string_equal(str(child, "state"), "disconnected");
	assert_string_equal(str(child, "description"), "servers");
	assert_string_equal(json_string_value(json_array_get(json_object_get(child, "remote_ts"), 0)), "10.30.0.0/16");
	assert_string_equal(str(json_array_get(json_object_get(c2, "children"), 1), "name"), "con2_4");

	/* no secret reaches the document */
	{
		char *text = json_dumps(sas, 0);

		assert_null(strstr(text, "lab-shared-secret"));
		assert_null(strstr(text, "another-shared-secret"));
		assert_null(strstr(text, "psk"));
		free(text);
	}
	json_decref(sas);
	vici_node_free(ev);
	tunnel_file_free(tf);
}

/* The whole chain the daemon serves: list-sas -> document -> Prometheus text. */
static void test_metrics_of_built_document(void **state)
{
	struct tunnel_file *tf = unit_tunnels(tunnels);
	struct vici_node *ev = lab_list_sa("con1");
	json_t *doc = json_pack("{s:I, s:{s:b}, s:o}", "generated", (json_int_t)1000, "charon", "reachable", 1,
				"ike_sas", status_build_sas(tf, &ev, 1));
	struct buf b;

	(void)state;
	buf_init(&b);
	web_metrics_render(doc, 1010, &b);
	assert_non_null(strstr(b.data, "\ntunnelctl_tunnel_up{tunnel=\"con1\"} 1\n"));
	assert_non_null(strstr(b.data, "\ntunnelctl_tunnel_up{tunnel=\"con2\"} 0\n"));
	assert_non_null(strstr(b.data, "\ntunnelctl_tunnel_established_seconds{tunnel=\"con1\"} 11\n"));
	assert_non_null(strstr(b.data, "\ntunnelctl_child_bytes_in_total{tunnel=\"con1\",child=\"con1\"} 252\n"));
	assert_non_null(strstr(b.data, "\ntunnelctl_child_up{tunnel=\"con2\",child=\"con2_4\"} 0\n"));
	buf_free(&b);
	json_decref(doc);
	vici_node_free(ev);
	tunnel_file_free(tf);
}

/* An SA of ours the tunnel file no longer has is still shown; foreign names are not. */
static void test_build_unconfigured(void **state)
{
	struct tunnel_file *tf = unit_tunnels("tunnels {\n 2 {\n remote_gateway = 198.51.100.7\n"
					      " psk = \"another-shared-secret-012345\"\n }\n}\n");
	struct vici_node *ev[2] = { lab_list_sa("con1"), lab_list_sa("bypass") };
	json_t *sas = status_build_sas(tf, ev, 2);

	(void)state;
	assert_int_equal(json_array_size(sas), 2);
	assert_non_null(entry(sas, "con2"));
	assert_non_null(entry(sas, "con1"));
	assert_null(entry(sas, "bypass"));
	json_decref(sas);
	vici_node_free(ev[0]);
	vici_node_free(ev[1]);
	tunnel_file_free(tf);
}

/* The tunnel file tests/data/vici/a.swanctl.conf was compiled from. */
static const char recorded_tunnels[] =
	"tunnels {\n"
	" 1 {\n local_address = 192.0.2.1\n remote_gateway = 192.0.2.2\n psk = \"first-test-secret-0123456789\"\n"
	"  phase2 {\n   1 {\n    local = 10.1.0.0/24\n    remote = 10.2.0.0/24\n   }\n"
	"   2 {\n    local = 10.1.1.0/24\n    remote = 10.2.1.0/24\n   }\n  }\n }\n"
	" 2 {\n version = ikev1\n local_address = 192.0.2.1\n remote_gateway = 192.0.2.2\n"
	"  psk = \"second-test-secret-012345678\"\n"
	"  phase2 {\n   3 {\n    local = 10.1.3.0/24\n    remote = 10.2.3.0/24\n   }\n"
	"   4 {\n    local = 10.1.4.0/24\n    remote = 10.2.4.0/24\n   }\n  }\n }\n"
	"}\n";

/* The list-sa event messages of a recorded file (owned by the caller). */
static size_t load_list_sa(const char *path, struct vici_node **out, size_t max)
{
	struct buf raw;
	size_t pos = 0, n = 0, used;

	buf_init(&raw);
	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, &raw), 0);
	while (pos < raw.len) {
		struct vici_packet pkt;
		struct vici_err err;

		assert_int_equal(vici_packet_decode(raw.data + pos, raw.len - pos, &used, &pkt, &err), 0);
		pos += used;
		if (pkt.type == VICI_EVENT && strcmp(pkt.name, "list-sa") == 0 && n < max) {
			out[n++] = pkt.msg;
			pkt.msg = NULL;
		}
		vici_packet_clear(&pkt);
	}
	buf_free(&raw);
	return n;
}

static void test_build_from_recorded_bytes(void **state)
{
	struct tunnel_file *tf = unit_tunnels(recorded_tunnels);
	struct vici_node *ev[8];
	size_t n = load_list_sa("tests/data/vici/list-sas.bin", ev, ARRAY_SIZE(ev));
	json_t *sas = status_build_sas(tf, ev, n);
	const json_t *c1 = entry(sas, "con1"), *c2 = entry(sas, "con2"), *ch;

	(void)state;
	assert_int_equal(n, 2);
	/* file order, whatever order charon listed them in */
	assert_string_equal(str(json_array_get(sas, 0), "name"), "con1");
	assert_string_equal(str(c1, "state"), "ESTABLISHED");
	assert_int_equal(num(c1, "version"), 2);
	/* the merged child carries both phase 2 selectors */
	ch = json_array_get(json_object_get(c1, "children"), 0);
	assert_int_equal(json_array_size(json_object_get(c1, "children")), 1);
	assert_string_equal(str(ch, "name"), "con1");
	assert_int_equal(json_array_size(json_object_get(ch, "local_ts")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(ch, "remote_ts"), 1)), "10.2.1.0/24");
	assert_true(num(ch, "bytes_in") > 0);
	/* the IKEv1 split tunnel: con2_3 up in charon, con2_4 configured but not up */
	assert_string_equal(str(c2, "state"), "ESTABLISHED");
	assert_int_equal(num(c2, "version"), 1);
	assert_int_equal(json_array_size(json_object_get(c2, "children")), 2);
	ch = json_array_get(json_object_get(c2, "children"), 0);
	assert_string_equal(str(ch, "name"), "con2_3");
	assert_string_equal(str(ch, "state"), "INSTALLED");
	ch = json_array_get(json_object_get(c2, "children"), 1);
	assert_string_equal(str(ch, "name"), "con2_4");
	assert_string_equal(str(ch, "state"), "disconnected");
	assert_string_equal(json_string_value(json_array_get(json_object_get(ch, "local_ts"), 0)), "10.1.4.0/24");
	json_decref(sas);
	for (size_t i = 0; i < n; i++)
		vici_node_free(ev[i]);
	tunnel_file_free(tf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_from_recorded_bytes),
		cmocka_unit_test(test_build_from_lab_sa),
		cmocka_unit_test(test_metrics_of_built_document),
		cmocka_unit_test(test_build_unconfigured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
