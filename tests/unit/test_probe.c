/* test_probe.c - what probe_event reads from VICI events recorded from a real charon
 * (tests/data/vici: rekey-events.bin after `swanctl --rekey`, monitor-updown.bin). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "util.h"
#include "vici.h"

#define DATA "tests/data/vici/"

/* The nth event named name in a recording, decoded (caller frees with vici_packet_clear). */
static void load_event(const char *file, const char *name, size_t nth, struct vici_packet *out)
{
	char *path = xasprintf(DATA "%s", file);
	struct buf raw = { 0 };
	size_t pos = 0;

	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, &raw), 0);
	while (pos < raw.len) {
		struct vici_err err = { 0 };
		size_t used;
		assert_int_equal(vici_packet_decode(raw.data + pos, raw.len - pos, &used, out, &err), 0);
		pos += used;
		if (out->type == VICI_EVENT && strcmp(out->name, name) == 0 && nth-- == 0) {
			buf_free(&raw);
			free(path);
			return;
		}
		vici_packet_clear(out);
	}
	fail_msg("%s: no event %s", file, name);
}

static void test_child_rekey(void **state)
{
	struct vici_packet p;
	struct probe_target t = { .ike = "con1", .ike_uid = "1", .child_uid = "1" };
	char uid[PROBE_UID_MAX] = "";

	(void)state;
	load_event("rekey-events.bin", "child-rekey", 0, &p);
	assert_int_equal(probe_event(&t, "child-rekey", p.msg, uid, sizeof(uid)), PROBE_SIG_REKEYED);
	assert_string_equal(uid, "3");
	/* another child, another IKE SA, another connection, the IKE step: not ours */
	t.child_uid = "2";
	assert_int_equal(probe_event(&t, "child-rekey", p.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	t.child_uid = "1";
	t.ike_uid = "7";
	assert_int_equal(probe_event(&t, "child-rekey", p.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	t.ike_uid = "1";
	t.ike = "con2";
	assert_int_equal(probe_event(&t, "child-rekey", p.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	t.ike = "con1";
	t.child_uid = NULL;
	assert_int_equal(probe_event(&t, "child-rekey", p.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	vici_packet_clear(&p);
}

static void test_ike_rekey(void **state)
{
	struct vici_packet p;
	struct probe_target t = { .ike = "con1", .ike_uid = "1" };
	char uid[PROBE_UID_MAX] = "";

	(void)state;
	load_event("rekey-events.bin", "ike-rekey", 0, &p);
	assert_int_equal(probe_event(&t, "ike-rekey", p.msg, uid, sizeof(uid)), PROBE_SIG_REKEYED);
	assert_string_equal(uid, "3");
	t.ike_uid = "3";	/* the successor is not rekeyed again */
	assert_int_equal(probe_event(&t, "ike-rekey", p.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	t.ike_uid = "1";
	t.child_uid = "1";	/* a child step ignores the IKE SA's rekey */
	assert_int_equal(probe_event(&t, "ike-rekey", p.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	vici_packet_clear(&p);
}

static void test_updown(void **state)
{
	struct vici_packet up, child_down, ike_down;
	struct probe_target t = { .ike = "con2", .ike_uid = "2", .child_uid = "2" };
	char uid[PROBE_UID_MAX] = "";

	(void)state;
	load_event("monitor-updown.bin", "ike-updown", 1, &up);		/* con2 #2 up */
	load_event("monitor-updown.bin", "child-updown", 2, &child_down);	/* con2_3 #2 down */
	load_event("monitor-updown.bin", "ike-updown", 2, &ike_down);	/* con2 #2 down */
	assert_int_equal(probe_event(&t, "child-updown", child_down.msg, uid, sizeof(uid)), PROBE_SIG_DOWN);
	assert_int_equal(probe_event(&t, "ike-updown", ike_down.msg, uid, sizeof(uid)), PROBE_SIG_DOWN);
	t.child_uid = "5";
	assert_int_equal(probe_event(&t, "child-updown", child_down.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	/* an up event: the SA itself, or (IKE step: IKEv1 re-authentication) its successor */
	t.child_uid = NULL;
	assert_int_equal(probe_event(&t, "ike-updown", up.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	t.ike_uid = "1";
	assert_int_equal(probe_event(&t, "ike-updown", up.msg, uid, sizeof(uid)), PROBE_SIG_REKEYED);
	assert_string_equal(uid, "2");
	t.child_uid = "1";
	assert_int_equal(probe_event(&t, "ike-updown", up.msg, uid, sizeof(uid)), PROBE_SIG_NONE);
	vici_packet_clear(&up);
	vici_packet_clear(&child_down);
	vici_packet_clear(&ike_down);
}

static void test_traffic(void **state)
{
	(void)state;
	assert_non_null(strstr(probe_traffic(2), "make-before-break"));
	assert_non_null(strstr(probe_traffic(1), "Main Mode"));
	assert_null(strstr(probe_traffic(2), "Main Mode"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_rekey),
		cmocka_unit_test(test_ike_rekey),
		cmocka_unit_test(test_updown),
		cmocka_unit_test(test_traffic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
