/* test_vici.c - the VICI codec on bytes recorded from a real charon (tests/data/vici, see its
 * README.md), round trips, and every malformed-input error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vici.h"

#define DATA "tests/data/vici/"
#define MAX_PACKETS 64

/* Every packet of a recording, decoded. */
struct rec {
	struct buf raw;
	struct vici_packet pkt[MAX_PACKETS];
	size_t off[MAX_PACKETS], len[MAX_PACKETS];
	size_t n;
};

static void rec_load(struct rec *r, const char *name)
{
	char *path = xasprintf(DATA "%s", name);
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, &r->raw), 0);
	while (pos < r->raw.len) {
		struct vici_err err = { 0 };
		size_t used;
		int ret;

		assert_true(r->n < MAX_PACKETS);
		ret = vici_packet_decode(r->raw.data + pos, r->raw.len - pos, &used, &r->pkt[r->n], &err);
		if (ret)
			fail_msg("%s: packet %zu: %d at %zu: %s", name, r->n, ret, err.offset, err.what);
		r->off[r->n] = pos;
		r->len[r->n] = used;
		pos += used;
		r->n++;
	}
	free(path);
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		vici_packet_clear(&r->pkt[i]);
	buf_free(&r->raw);
}

/* The i-th packet whose type (and name, if given) match. */
static struct vici_packet *rec_find(struct rec *r, enum vici_packet_type type, const char *name,
				    size_t nth)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->pkt[i].type == type && (!name || strcmp(r->pkt[i].name, name) == 0) && nth-- == 0)
			return &r->pkt[i];
	fail_msg("no %s %s #%zu", vici_packet_type_names[type], name ? name : "", nth);
	return NULL;
}

static void test_version(void **state)
{
	struct rec r;
	struct vici_node *m;

	(void)state;
	rec_load(&r, "version.bin");
	assert_int_equal(r.n, 1);
	assert_int_equal(r.pkt[0].type, VICI_CMD_RESPONSE);
	m = r.pkt[0].msg;
	assert_string_equal(vici_find_str(m, "daemon", "(absent)"), "charon");
	assert_string_equal(vici_find_str(m, "version", "(absent)"), "5.9.8");
	assert_string_equal(vici_find_str(m, "sysname", "(absent)"), "Linux");
	rec_free(&r);
}

static void test_stats(void **state)
{
	struct rec r;
	struct vici_node *m, *plugins;
	uint64_t v = 99;
	bool vici = false, libipsec = false;

	(void)state;
	rec_load(&r, "stats.bin");
	m = r.pkt[0].msg;
	assert_int_equal(vici_get_u64(m, "ikesas.total", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vici_get_u64(m, "workers.total", &v), 0);
	assert_true(v > 0);
	assert_non_null(vici_find_str(m, "uptime.since", NULL));
	assert_int_equal(vici_get_u64(m, "uptime.running", &v), -EINVAL); /* "3 seconds" */
	assert_int_equal(vici_get_u64(m, "uptime.nosuch", &v), -ENOENT);
	plugins = vici_find(m, "plugins");
	assert_non_null(plugins);
	assert_int_equal(plugins->type, VICI_NODE_LIST);
	for (size_t i = 0; i < plugins->n_child; i++) {
		vici |= strcmp(vici_list_str(plugins, i), "vici") == 0;
		libipsec |= strcmp(vici_list_str(plugins, i), "kernel-libipsec") == 0;
	}
	assert_true(vici && libipsec);
	assert_null(vici_list_str(plugins, plugins->n_child));
	rec_free(&r);
}

static void test_list_sas(void **state)
{
	struct rec r;
	struct vici_node *con1 = NULL, *con2 = NULL, *child, *ts;
	uint64_t bytes;

	(void)state;
	rec_load(&r, "list-sas.bin");
	/* register confirm, one list-sa per IKE SA, then the response (swanctl just closes) */
	assert_int_equal(r.n, 4);
	assert_int_equal(r.pkt[0].type, VICI_EVENT_CONFIRM);
	assert_int_equal(r.pkt[r.n - 1].type, VICI_CMD_RESPONSE);
	for (size_t i = 0; i < r.n; i++) {
		if (r.pkt[i].type != VICI_EVENT)
			continue;
		assert_string_equal(r.pkt[i].name, "list-sa");
		con1 = con1 ? con1 : vici_child(r.pkt[i].msg, "con1");
		con2 = con2 ? con2 : vici_child(r.pkt[i].msg, "con2");
	}
	assert_non_null(con1);
	assert_non_null(con2);
	assert_string_equal(vici_find_str(con1, "state", "(absent)"), "ESTABLISHED");
	assert_string_equal(vici_find_str(con1, "version", "(absent)"), "2");
	assert_string_equal(vici_find_str(con1, "local-host", "(absent)"), "192.0.2.1");
	assert_string_equal(vici_find_str(con1, "remote-id", "(absent)"), "192.0.2.2");
	assert_string_equal(vici_find_str(con1, "encr-alg", "(absent)"), "AES_CBC");
	assert_string_equal(vici_find_str(con2, "version", "(absent)"), "1");
	assert_string_equal(vici_find_str(con2, "local-id", "(absent)"), "a.example.org");

	/* child SA sections are keyed name-uniqueid; the name is inside */
	child = vici_find(con1, "child-sas")->child[0];
	assert_string_equal(vici_find_str(child, "name", "(absent)"), "con1");
	assert_string_equal(vici_find_str(child, "encr-alg", "(absent)"), "AES_GCM_16");
	assert_int_equal(vici_get_u64(child, "bytes-in", &bytes), 0);
	assert_true(bytes > 0);	/* the capture pings through the tunnel */
	ts = vici_child(child, "local-ts");
	assert_int_equal(ts->n_child, 2);
	assert_string_equal(vici_list_str(ts, 0), "10.1.0.0/24");
	assert_string_equal(vici_list_str(ts, 1), "10.1.1.0/24");
	child = vici_find(con2, "child-sas")->child[0];
	assert_string_equal(vici_find_str(child, "name", "(absent)"), "con2_3");
	assert_non_null(vici_child(vici_find(con2, "child-sas"), child->name));
	rec_free(&r);
}

static void test_list_conns(void **state)
{
	struct rec r;
	struct vici_node *con1, *list;

	(void)state;
	rec_load(&r, "list-conns.bin");
	con1 = vici_child(rec_find(&r, VICI_EVENT, "list-conn", 0)->msg, "con1");
	assert_non_null(con1);
	assert_string_equal(vici_find_str(con1, "version", "(absent)"), "IKEv2");
	list = vici_find(con1, "remote_addrs");
	assert_string_equal(vici_list_str(list, 0), "192.0.2.2");
	list = vici_find(con1, "children.con1.remote-ts");
	assert_int_equal(list->n_child, 2);
	assert_string_equal(vici_list_str(list, 1), "10.2.1.0/24");
	assert_string_equal(vici_find_str(con1, "local-1.class", "(absent)"), "pre-shared key");
	assert_non_null(vici_child(rec_find(&r, VICI_EVENT, "list-conn", 1)->msg, "con2"));
	rec_free(&r);
}

static void test_updown_and_rekey_events(void **state)
{
	struct rec r;
	struct vici_packet *p;

	(void)state;
	rec_load(&r, "monitor-updown.bin");
	p = rec_find(&r, VICI_EVENT, "ike-updown", 0);
	assert_string_equal(vici_find_str(p->msg, "up", "(absent)"), "yes");
	assert_string_equal(vici_find_str(p->msg, "con1.state", "(absent)"), "ESTABLISHED");
	p = rec_find(&r, VICI_EVENT, "child-updown", 0);
	assert_string_equal(vici_find_str(p->msg, "up", "(absent)"), "yes");
	assert_int_equal(vici_find(p->msg, "con1.child-sas")->n_child, 1);
	/* the terminate of con2: down events carry no "up" key */
	p = rec_find(&r, VICI_EVENT, "ike-updown", 2);
	assert_null(vici_find(p->msg, "up"));
	assert_non_null(vici_child(p->msg, "con2"));
	rec_free(&r);

	rec_load(&r, "rekey-events.bin");
	p = rec_find(&r, VICI_EVENT, "ike-rekey", 0);
	assert_string_equal(vici_find_str(p->msg, "con1.old.state", "(absent)"), "REKEYING");
	assert_non_null(vici_find(p->msg, "con1.new.uniqueid"));
	assert_non_null(rec_find(&r, VICI_EVENT, "child-rekey", 0));
	rec_free(&r);
}

/* log events as filelog lines: what `logs -f` prints and `probe` gives the doctor */
static void test_log_format(void **state)
{
	struct rec r;
	char line[256];
	size_t n_named = 0;

	(void)state;
	rec_load(&r, "log-events.bin");
	for (size_t i = 0; i < r.n; i++) {
		const struct vici_node *m = r.pkt[i].msg;
		char *want;
		size_t len;

		if (r.pkt[i].type != VICI_EVENT)
			continue;
		len = vici_log_format(m, "Dec  6 19:52:28", line, sizeof(line));
		assert_int_equal(len, strlen(line));
		if (vici_find(m, "ikesa-name")) {
			want = xasprintf("Dec  6 19:52:28 %02d[%s] <%s|%s> %s", atoi(vici_find_str(m, "thread", "")),
					 vici_find_str(m, "group", ""), vici_find_str(m, "ikesa-name", ""),
					 vici_find_str(m, "ikesa-uniqueid", ""), vici_find_str(m, "msg", ""));
			n_named++;
		} else {
			want = xasprintf("Dec  6 19:52:28 %02d[%s] %s", atoi(vici_find_str(m, "thread", "")),
					 vici_find_str(m, "group", ""), vici_find_str(m, "msg", ""));
		}
		want[strlen(want) > sizeof(line) - 1 ? sizeof(line) - 1 : strlen(want)] = '\0';
		assert_string_equal(line, want);
		free(want);
		/* no stamp; and a buffer too small is cut, not overrun */
		len = vici_log_format(m, NULL, line, 8);
		assert_int_equal(len, 7);
		assert_int_equal(line[0] >= '0' && line[0] <= '9', 1);
	}
	assert_true(n_named > 0);
	assert_int_equal(vici_log_format(r.pkt[0].msg, "", line, 0), 0);
	rec_free(&r);
}

static void test_logs_and_failures(void **state)
{
	struct rec r;
	struct vici_packet *p;

	(void)state;
	rec_load(&r, "log-events.bin");
	/* log events of an IKE SA name it and its unique id */
	for (size_t i = 0, n = 0; i < r.n; i++) {
		if (r.pkt[i].type != VICI_EVENT)
			continue;
		assert_string_equal(r.pkt[i].name, "log");
		assert_non_null(vici_find_str(r.pkt[i].msg, "msg", NULL));
		if (vici_find(r.pkt[i].msg, "ikesa-name")) {
			assert_string_equal(vici_find_str(r.pkt[i].msg, "ikesa-uniqueid", "(absent)"), "1");
			n++;
		}
		if (i + 1 == r.n)
			assert_true(n > 0);
	}
	rec_free(&r);

	rec_load(&r, "initiate.bin");
	p = rec_find(&r, VICI_EVENT, "control-log", 0);
	assert_non_null(vici_find_str(p->msg, "msg", NULL));
	p = rec_find(&r, VICI_CMD_RESPONSE, NULL, 0);
	assert_string_equal(vici_find_str(p->msg, "success", "(absent)"), "yes");
	rec_free(&r);

	rec_load(&r, "initiate-fail.bin");
	p = rec_find(&r, VICI_CMD_RESPONSE, NULL, 0);
	assert_string_equal(vici_find_str(p->msg, "success", "(absent)"), "no");
	assert_string_equal(vici_find_str(p->msg, "errmsg", "(absent)"), "CHILD_SA config 'nosuch' not found");
	rec_free(&r);

	rec_load(&r, "load-bad.bin");
	p = rec_find(&r, VICI_CMD_RESPONSE, NULL, 1);
	assert_string_equal(vici_find_str(p->msg, "errmsg", "(absent)"),
			    "invalid value for: proposals, config discarded");
	rec_free(&r);

	rec_load(&r, "unknown.bin");
	assert_int_equal(r.n, 2);
	assert_int_equal(r.pkt[0].type, VICI_EVENT_UNKNOWN);
	assert_int_equal(r.pkt[1].type, VICI_CMD_UNKNOWN);
	assert_int_equal(r.pkt[1].msg->n_child, 0);
	rec_free(&r);
}

/* Decode every recorded packet, re-encode it from the tree: the bytes must be identical. */
static void test_round_trip_recordings(void **state)
{
	static const char *const files[] = {
		"version.bin", "stats.bin", "load-all.bin", "load-all.req.bin", "load-bad.bin",
		"list-conns.bin", "list-sas-empty.bin", "list-sas.bin", "list-sas-con1.bin",
		"initiate.bin", "initiate-v1.bin", "initiate-fail.bin", "terminate.bin",
		"monitor-updown.bin", "rekey-events.bin", "log-events.bin", "unknown.bin",
	};
	size_t total = 0;

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		struct rec r;
		rec_load(&r, files[f]);
		for (size_t i = 0; i < r.n; i++) {
			struct vici_msg m;
			struct buf out;

			vici_msg_init(&m);
			buf_init(&out);
			vici_msg_add_node(&m, r.pkt[i].msg);
			assert_int_equal(vici_msg_error(&m), 0);
			assert_int_equal(vici_packet_build(r.pkt[i].type, r.pkt[i].name, &m, &out), 0);
			assert_int_equal(out.len, r.len[i]);
			assert_memory_equal(out.data, r.raw.data + r.off[i], out.len);
			vici_msg_free(&m);
			buf_free(&out);
			total++;
		}
		rec_free(&r);
	}
	assert_true(total > 40);
}

static void test_build_then_decode(void **state)
{
	struct vici_msg m;
	struct buf out;
	struct vici_packet p;
	struct vici_err err;
	size_t used;
	static const unsigned char blob[] = { 0, 1, 2, 0xff };

	(void)state;
	vici_msg_init(&m);
	buf_init(&out);
	vici_msg_add_str(&m, "key1", "value1");
	vici_msg_section_start(&m, "section1");
	vici_msg_section_start(&m, "sub-section");
	vici_msg_add_strf(&m, "key2", "value%d", 2);
	vici_msg_section_end(&m);
	vici_msg_list_start(&m, "list1");
	vici_msg_list_item_str(&m, "item1");
	vici_msg_list_item_str(&m, "item2");
	vici_msg_list_end(&m);
	vici_msg_add_kv(&m, "blob", blob, sizeof(blob));
	vici_msg_section_end(&m);
	assert_int_equal(vici_packet_build(VICI_CMD_REQUEST, "load-conn", &m, &out), 0);
	assert_int_equal(vici_packet_decode(out.data, out.len, &used, &p, &err), 0);
	assert_int_equal(used, out.len);
	assert_int_equal(p.type, VICI_CMD_REQUEST);
	assert_string_equal(p.name, "load-conn");
	assert_string_equal(vici_find_str(p.msg, "key1", "(absent)"), "value1");
	assert_string_equal(vici_find_str(p.msg, "section1.sub-section.key2", "(absent)"), "value2");
	assert_string_equal(vici_list_str(vici_find(p.msg, "section1.list1"), 1), "item2");
	/* a value with NUL bytes is no string, but its bytes are there */
	assert_null(vici_find_str(p.msg, "section1.blob", NULL));
	assert_null(vici_get_str(p.msg, "section1.blob"));
	assert_int_equal(vici_find(p.msg, "section1.blob")->len, 4);
	assert_memory_equal(vici_find(p.msg, "section1.blob")->value, blob, 4);
	assert_null(vici_find(p.msg, "section1.nosuch"));
	assert_null(vici_find(p.msg, "key1.x"));	/* a key/value has no children */
	{
		char *s = vici_get_str(p.msg, "key1");
		assert_string_equal(s, "value1");
		free(s);
	}
	vici_packet_clear(&p);
	/* the README's encoding example, byte for byte (message part after the name) */
	{
		static const unsigned char readme[] = {
			3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
			1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
			1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
			3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
			2,
			4, 5, 'l', 'i', 's', 't', '1',
			5, 0, 5, 'i', 't', 'e', 'm', '1',
			5, 0, 5, 'i', 't', 'e', 'm', '2',
			6,
		};
		size_t hdr = 4 + 1 + 1 + strlen("load-conn");
		assert_memory_equal(out.data + hdr, readme, sizeof(readme));
		assert_int_equal(out.data[0], 0);
		assert_int_equal((unsigned char)out.data[3], out.len - 4);
	}
	vici_msg_free(&m);
	buf_free(&out);
}

static void test_builder_misuse(void **state)
{
	struct vici_msg m;
	struct buf out;
	char name[300];
	char *big;

	(void)state;
	buf_init(&out);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';

	vici_msg_init(&m);
	vici_msg_add_str(&m, name, "x");		/* name > 255 */
	assert_int_equal(vici_msg_error(&m), -E2BIG);
	assert_int_equal(vici_packet_build(VICI_CMD_REQUEST, "x", &m, &out), -E2BIG);
	vici_msg_free(&m);

	vici_msg_init(&m);
	vici_msg_section_start(&m, "open");		/* never closed */
	assert_int_equal(vici_msg_error(&m), -EINVAL);
	vici_msg_free(&m);

	vici_msg_init(&m);
	vici_msg_section_end(&m);			/* nothing open */
	assert_int_equal(vici_msg_error(&m), -EINVAL);
	vici_msg_free(&m);

	vici_msg_init(&m);
	vici_msg_list_start(&m, "l");
	vici_msg_add_str(&m, "k", "v");		/* key/value inside a list */
	vici_msg_list_end(&m);
	assert_int_equal(vici_msg_error(&m), -EINVAL);
	vici_msg_free(&m);

	vici_msg_init(&m);
	for (unsigned i = 0; i <= VICI_MAX_DEPTH; i++)
		vici_msg_section_start(&m, "s");	/* one level deeper than we decode */
	assert_int_equal(vici_msg_error(&m), -ELOOP);
	vici_msg_free(&m);

	vici_msg_init(&m);
	vici_msg_list_item_str(&m, "orphan");	/* item outside a list */
	assert_int_equal(vici_msg_error(&m), -EINVAL);
	vici_msg_free(&m);

	big = xcalloc(1, VICI_MAX_VALUE + 2);
	vici_msg_init(&m);
	vici_msg_add_kv(&m, "k", big, VICI_MAX_VALUE + 1);	/* value > 65535 */
	assert_int_equal(vici_msg_error(&m), -E2BIG);
	vici_msg_free(&m);

	/* nine maximal values make a message over 512 KiB: the packet is refused */
	vici_msg_init(&m);
	for (int i = 0; i < 9; i++)
		vici_msg_add_kv(&m, "k", big, VICI_MAX_VALUE);
	assert_int_equal(vici_msg_error(&m), 0);
	assert_int_equal(vici_packet_build(VICI_CMD_REQUEST, "x", &m, &out), -E2BIG);
	assert_int_equal(out.len, 0);
	vici_msg_free(&m);
	free(big);

	assert_int_equal(vici_packet_build(VICI_EVENT_REGISTER, NULL, NULL, &out), -EINVAL);
	assert_int_equal(vici_packet_build(VICI_EVENT_REGISTER, name, NULL, &out), -EINVAL);
	assert_int_equal(vici_packet_build((enum vici_packet_type)8, NULL, NULL, &out), -EINVAL);
	assert_int_equal(out.len, 0);
	assert_int_equal(vici_packet_build(VICI_EVENT_REGISTER, "log", NULL, &out), 0);
	assert_int_equal(out.len, 4 + 1 + 1 + 3);
	buf_free(&out);
}

/* Decode a whole segment built from a raw packet body (type byte onward). */
static int decode_body(const unsigned char *body, size_t len, struct vici_err *err)
{
	struct buf b;
	struct vici_packet p;
	unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
				 (unsigned char)(len >> 8), (unsigned char)len };
	size_t used;
	int ret;

	buf_init(&b);
	buf_add(&b, hdr, 4);
	buf_add(&b, body, len);
	memset(err, 0, sizeof(*err));
	ret = vici_packet_decode(b.data, b.len, &used, &p, err);
	vici_packet_clear(&p);
	buf_free(&b);
	return ret;
}

/* EXPECT_BAD(error, offset, text, body bytes...) */
#define EXPECT_BAD(code, off, needle, ...)                                           \
	do {                                                                         \
		static const unsigned char b_[] = { __VA_ARGS__ };                   \
		struct vici_err e_;                                                  \
		assert_int_equal(decode_body(b_, sizeof(b_), &e_), code);           \
		if (!strstr(e_.what, needle))                                        \
			fail_msg("'%s' lacks '%s'", e_.what, needle);               \
		assert_int_equal(e_.offset, off);                                    \
	} while (0)

static void test_malformed(void **state)
{
	struct vici_err err;
	struct vici_packet p;
	struct vici_node *n;
	size_t used;
	struct rec r;

	(void)state;
	/* framing */
	assert_int_equal(vici_packet_decode("\0\0\0", 3, &used, &p, &err), -EAGAIN);
	assert_non_null(strstr(err.what, "truncated length header"));
	rec_load(&r, "version.bin");
	assert_int_equal(vici_packet_decode(r.raw.data, r.raw.len - 1, &used, &p, &err), -EAGAIN);
	assert_non_null(strstr(err.what, "truncated segment"));
	rec_free(&r);
	assert_int_equal(vici_packet_decode("\0\x08\0\x01\x01", 5, &used, &p, &err), -E2BIG);
	assert_non_null(strstr(err.what, "exceeds"));
	assert_int_equal(vici_packet_decode("\0\0\0\0", 4, &used, &p, &err), -EBADMSG);
	assert_int_equal(used, 0);

	/* packet layer (offsets count the 4-byte header) */
	EXPECT_BAD(-EBADMSG, 4, "unknown packet type 8", 8);
	EXPECT_BAD(-EBADMSG, 5, "name length missing", 7);
	EXPECT_BAD(-EBADMSG, 5, "name of 5 bytes", 7, 5, 'a', 'b');
	EXPECT_BAD(-EBADMSG, 5, "unexpected bytes after EVENT_CONFIRM", 5, 0);
	EXPECT_BAD(-EBADMSG, 5, "EVENT: name contains a NUL byte", 7, 2, 'a', 0);

	/* message layer: the body is CMD_RESPONSE (type 1) then elements from offset 5 */
	EXPECT_BAD(-EBADMSG, 5, "unknown element type 9", 1, 9);
	EXPECT_BAD(-EBADMSG, 5, "unknown element type 0", 1, 0);
	EXPECT_BAD(-EBADMSG, 5, "value of 5 bytes, 1 left", 1, 3, 1, 'k', 0, 5, 'v');
	EXPECT_BAD(-EBADMSG, 5, "value length missing", 1, 3, 1, 'k', 0);
	EXPECT_BAD(-EBADMSG, 10, "name of 3 bytes", 1, 3, 1, 'k', 0, 0, 1, 3, 's');
	EXPECT_BAD(-EBADMSG, 5, "section end without open section", 1, 2);
	EXPECT_BAD(-EBADMSG, 5, "section start: name contains a NUL", 1, 1, 2, 's', 0, 2);
	EXPECT_BAD(-EBADMSG, 5, "ends inside section 's'", 1, 1, 1, 's', 3, 1, 'k', 0, 0);
	EXPECT_BAD(-EBADMSG, 5, "ends inside list 'l'", 1, 4, 1, 'l', 5, 0, 0);
	EXPECT_BAD(-EBADMSG, 5, "list item outside a list", 1, 5, 0, 0);
	EXPECT_BAD(-EBADMSG, 5, "list end without open list", 1, 6);
	EXPECT_BAD(-EBADMSG, 8, "KEY_VALUE inside list 'l'", 1, 4, 1, 'l', 3, 1, 'k', 0, 0, 6);
	EXPECT_BAD(-EBADMSG, 8, "LIST_START inside list 'l'", 1, 4, 1, 'l', 4, 1, 'm', 6);
	EXPECT_BAD(-EBADMSG, 8, "SECTION_START inside list", 1, 4, 1, 'l', 1, 1, 's', 2, 6);

	/* depth: VICI_MAX_DEPTH sections nest, one more does not */
	{
		struct buf b;
		buf_init(&b);
		for (unsigned i = 0; i <= VICI_MAX_DEPTH; i++)
			buf_add(&b, "\x01\x01s", 3);
		for (unsigned i = 0; i <= VICI_MAX_DEPTH; i++)
			buf_addc(&b, 2);
		assert_int_equal(vici_msg_decode(b.data + 3, b.len - 4, &n, &err), 0);
		vici_node_free(n);
		assert_int_equal(vici_msg_decode(b.data, b.len, &n, &err), -EBADMSG);
		assert_null(n);
		assert_non_null(strstr(err.what, "nested deeper than 16"));
		assert_int_equal(err.offset, 3 * VICI_MAX_DEPTH);
		buf_free(&b);
	}

	/* oversized message */
	{
		char *big = xcalloc(1, VICI_MAX_MESSAGE + 1);
		assert_int_equal(vici_msg_decode(big, VICI_MAX_MESSAGE + 1, &n, &err), -E2BIG);
		assert_null(n);
		free(big);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_list_sas),
		cmocka_unit_test(test_list_conns),
		cmocka_unit_test(test_updown_and_rekey_events),
		cmocka_unit_test(test_logs_and_failures),
		cmocka_unit_test(test_log_format),
		cmocka_unit_test(test_round_trip_recordings),
		cmocka_unit_test(test_build_then_decode),
		cmocka_unit_test(test_builder_misuse),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
