/* test_status.c - the status document from list-sa events recorded from a real charon
 * (tests/data/vici/list-sas.bin: con1 IKEv2 with a merged child, con2 IKEv1 with con2_3 up)
 * joined with a tunnel file: descriptions, disconnected entries, filters, manual-down marks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "state.h"
#include "status.h"
#include "tunnel.h"
#include "util.h"
#include "vici.h"

static const char tunnels[] =
	"tunnels {\n"
	" 1 {\n  description = HQ\n  local_address = 192.0.2.1\n  remote_gateway = 192.0.2.2\n"
	"  psk = \"unit-test-secret-0123456789\"\n"
	"  phase2 {\n   1 {\n    description = LAN\n    local = 10.1.0.0/24\n    remote = 10.2.0.0/24\n   }\n"
	"   2 {\n    description = DMZ\n    local = 10.1.1.0/24\n    remote = 10.2.1.0/24\n   }\n  }\n }\n"
	" 2 {\n  description = Branch\n  version = ikev1\n  local_address = 192.0.2.1\n"
	"  remote_gateway = 192.0.2.2\n  psk = \"unit-test-secret-0123456789\"\n"
	"  phase2 {\n   3 {\n    local = 10.1.3.0/24\n    remote = 10.2.3.0/24\n   }\n"
	"   4 {\n    local = 10.1.4.0/24\n    remote = 10.2.4.0/24\n   }\n  }\n }\n"
	" 5 {\n  description = Spare\n  local_address = 192.0.2.1\n  remote_gateway = 198.51.100.5\n"
	"  psk = \"unit-test-secret-0123456789\"\n"
	"  phase2 {\n   5 {\n    local = 10.1.5.0/24\n    remote = 10.5.0.0/24\n   }\n  }\n }\n"
	"}\n";

struct fixture {
	struct tunnel_file *tf;
	struct vici_node *events[8];
	size_t n;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("t.conf", tunnels, strlen(tunnels), NULL, &errs);
	struct buf raw;
	size_t pos = 0;

	fx->tf = tunnel_from_tree(t, &errs);
	assert_non_null(fx->tf);
	tc_errors_free(&errs);
	assert_int_equal(file_read_all("tests/data/vici/list-sas.bin", TC_MAX_FILE_SIZE, &raw), 0);
	while (pos < raw.len) {
		struct vici_packet p;
		struct vici_err err;
		size_t used;

		assert_int_equal(vici_packet_decode(raw.data + pos, raw.len - pos, &used, &p, &err), 0);
		if (p.type == VICI_EVENT) {
			fx->events[fx->n++] = p.msg;
			p.msg = NULL;
		}
		vici_packet_clear(&p);
		pos += used;
	}
	buf_free(&raw);
	assert_int_equal(fx->n, 2);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < fx->n; i++)
		vici_node_free(fx->events[i]);
	tunnel_file_free(fx->tf);
	free(fx);
	return 0;
}

static json_t *entry(json_t *doc, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, "ike_sas"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return e;
	return NULL;
}

static json_t *child(json_t *e, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(e, "children"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return c;
	return NULL;
}

#define S(o, k) json_string_value(json_object_get(o, k))
#define I(o, k) json_integer_value(json_object_get(o, k))

static void test_joined_with_tunnel_file(void **state)
{
	struct fixture *fx = *state;
	json_t *doc = status_build(fx->events, fx->n, fx->tf, NULL, NULL), *e, *c;

	assert_int_equal(json_array_size(json_object_get(doc, "ike_sas")), 3);
	/* con1: the SA with the tunnel file's description, one merged child with both selectors */
	e = entry(doc, "con1");
	assert_string_equal(S(e, "state"), "ESTABLISHED");
	assert_string_equal(S(e, "description"), "HQ");
	assert_int_equal(I(e, "version"), 2);
	assert_string_equal(S(e, "role"), "initiator");
	assert_string_equal(S(e, "local_host"), "192.0.2.1");
	assert_int_equal(I(e, "remote_port"), 4500);
	assert_true(json_is_true(json_object_get(e, "nat")));
	assert_string_equal(S(e, "algorithms"), "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048");
	assert_int_equal(json_array_size(json_object_get(e, "children")), 1);
	c = child(e, "con1");
	assert_string_equal(S(c, "state"), "INSTALLED");
	assert_string_equal(S(c, "description"), "LAN, DMZ");
	assert_int_equal(json_array_size(json_object_get(c, "local_ts")), 2);
	assert_true(I(c, "bytes_in") > 0);
	assert_string_equal(S(c, "algorithms"), "AES_GCM_16-128");
	assert_non_null(S(c, "spi_in"));
	/* con2: IKEv1 split, con2_3 up, con2_4 configured but without an SA */
	e = entry(doc, "con2");
	assert_int_equal(I(e, "version"), 1);
	assert_string_equal(S(child(e, "con2_3"), "state"), "INSTALLED");
	assert_string_equal(S(child(e, "con2_4"), "state"), "disconnected");
	/* con5: configured, no SA at all */
	e = entry(doc, "con5");
	assert_string_equal(S(e, "state"), "disconnected");
	assert_string_equal(S(e, "remote_host"), "198.51.100.5");
	assert_string_equal(S(child(e, "con5"), "state"), "disconnected");
	/* nothing secret in the document */
	{
		char *text = json_dumps(doc, 0);
		assert_null(strstr(text, "unit-test-secret"));
		free(text);
	}
	json_decref(doc);
}

static void test_filters(void **state)
{
	struct fixture *fx = *state;
	struct status_filter f = { .ike = "con2", .child = "con2_4" };
	json_t *doc = status_build(fx->events, fx->n, fx->tf, NULL, &f), *e;

	assert_int_equal(json_array_size(json_object_get(doc, "ike_sas")), 1);
	e = entry(doc, "con2");
	assert_int_equal(json_array_size(json_object_get(e, "children")), 1);
	assert_non_null(child(e, "con2_4"));
	json_decref(doc);

	f.ike = "con1";
	f.child = NULL;
	doc = status_build(fx->events, fx->n, fx->tf, NULL, &f);
	assert_int_equal(json_array_size(json_object_get(doc, "ike_sas")), 1);
	assert_non_null(child(entry(doc, "con1"), "con1"));
	json_decref(doc);

	/* no tunnel file: only the SAs charon has */
	doc = status_build(fx->events, fx->n, NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(doc, "ike_sas")), 2);
	assert_null(entry(doc, "con5"));
	json_decref(doc);
}

static void test_manual_down(void **state)
{
	struct fixture *fx = *state;
	char dir[] = "/tmp/test_status.XXXXXX";
	json_t *doc;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(state_set_down(dir, "con5", true), 0);
	assert_int_equal(state_set_down(dir, "con2_4", true), 0);
	doc = status_build(fx->events, fx->n, fx->tf, dir, NULL);
	assert_true(json_is_true(json_object_get(entry(doc, "con5"), "manual_down")));
	assert_true(json_is_true(json_object_get(child(entry(doc, "con2"), "con2_4"), "manual_down")));
	assert_null(json_object_get(entry(doc, "con1"), "manual_down"));
	json_decref(doc);
	assert_int_equal(state_set_down(dir, "con5", false), 0);
	assert_int_equal(state_set_down(dir, "con2_4", false), 0);
	assert_false(state_is_down(dir, "con5"));
	{
		char *sub = xasprintf("%s/down", dir);
		rmdir(sub);
		free(sub);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* Only conN IKE SAs become entries: another tool's connection, a child-style name and a name
 * that is no UTF-8 text (which JSON cannot hold) are left out, whatever the tunnel file. A
 * fuzzer found the last one crashing the join once entries were built event by event. */
static void test_foreign_names_left_out(void **state)
{
	static const char *const names[] = { "con7", "roadwarrior", "\xff\xfe", "con2_3", "con", "con07x" };
	struct fixture *fx = *state;
	struct vici_msg m;
	struct buf wire;
	struct vici_node *ev = NULL;
	struct vici_err err;
	json_t *sas;

	vici_msg_init(&m);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		vici_msg_section_start(&m, names[i]);
		vici_msg_add_str(&m, "state", "ESTABLISHED");
		vici_msg_section_end(&m);
	}
	buf_init(&wire);
	assert_int_equal(vici_packet_build(VICI_EVENT, "list-sa", &m, &wire), 0);
	vici_msg_free(&m);
	struct vici_packet p;
	size_t used;
	assert_int_equal(vici_packet_decode(wire.data, wire.len, &used, &p, &err), 0);
	ev = p.msg;
	for (int with_file = 0; with_file < 2; with_file++) {
		sas = status_build_sas(with_file ? fx->tf : NULL, &ev, 1);
		json_t *doc = json_pack("{s:o}", "ike_sas", sas);
		assert_non_null(entry(doc, "con7"));
		assert_null(entry(doc, "roadwarrior"));
		assert_null(entry(doc, "con2_3"));
		/* without a file: con7 alone; with it: its three configured entries, then con7 */
		assert_int_equal(json_array_size(sas), with_file ? 4 : 1);
		json_decref(doc);
	}
	vici_node_free(ev);
	buf_free(&wire);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_joined_with_tunnel_file),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_manual_down),
		cmocka_unit_test(test_foreign_names_left_out),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
