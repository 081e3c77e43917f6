/* test_timeline.c - the daemon's history writer: what status refreshes, rekey events and
 * keep-alive decisions turn into records in a real state directory, what they must not
 * (repeats, a negotiation in progress, initiations 3, 5, 6, 7), and the summaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "history.h"
#include "keepalive.h"
#include "state.h"
#include "timeline.h"
#include "util.h"
#include "unit_helpers.h"

/* The "ike_sas" of a status document: con1 with its merged child in the given states, and
 * a verdict when cls is not NULL. */
static json_t *sas(const char *ike_state, const char *child_state, const char *cls)
{
	json_t *e = json_pack("{s:s, s:i, s:s, s:[{s:s, s:s}]}", "name", "con1", "ikeid", 1, "state", ike_state,
			      "children", "name", "con1", "state", child_state);

	if (cls)
		json_object_set_new(e, "verdict", json_pack("{s:s, s:s}", "class", cls, "summary", "no answer"));
	return json_pack("[o]", e);
}

static void observe(struct timeline *tl, const char *ike_state, const char *child_state, const char *cls)
{
	json_t *a = sas(ike_state, child_state, cls);

	timeline_observe(tl, a, "periodic refresh");
	json_decref(a);
}

static void decision(struct timeline *tl, const char *action, unsigned attempts)
{
	struct keepalive_decision d = { .priority = LOG_NOTICE, .tunnel = "con1", .action = action,
					.reason = "test", .attempts = attempts };

	timeline_decision(tl, &d);
}

/* The kinds recorded for con1, space-separated. */
static char *kinds(const char *dir)
{
	struct history h = { 0 };
	struct buf b;

	buf_init(&b);
	if (state_history_load(dir, "con1", &h) == 0)
		for (size_t i = 0; i < h.n; i++)
			buf_printf(&b, "%s%s", i ? " " : "", history_kind_names[h.v[i].kind]);
	history_free(&h);
	buf_adds(&b, "");
	return buf_steal(&b);
}

static void assert_kinds(const char *dir, const char *want)
{
	char *got = kinds(dir);

	assert_string_equal(got, want);
	free(got);
}

static void test_observe_and_decide(void **state)
{
	char *dir = unit_tmpdir("test_timeline");
	struct timeline *tl = timeline_new(dir);

	(void)state;
	/* being negotiated at the start: nothing yet */
	observe(tl, "CONNECTING", "disconnected", "unknown");
	assert_kinds(dir, "");
	observe(tl, "ESTABLISHED", "INSTALLED", NULL);
	observe(tl, "ESTABLISHED", "INSTALLED", NULL);	/* no change: no record */
	assert_kinds(dir, "up");
	timeline_rekey(tl, "con1");
	/* an IKE rekey names no child: each child of that conN gets one; con2's none */
	timeline_ike_rekey(tl, "con1");
	timeline_ike_rekey(tl, "con2");
	timeline_ike_rekey(tl, "con1_2");
	/* gone, with the doctor's verdict: down and the class, once */
	observe(tl, "disconnected", "disconnected", "peer_unreachable");
	observe(tl, "disconnected", "disconnected", "peer_unreachable");
	assert_kinds(dir, "up rekey rekey down verdict");
	/* initiations and failures: attempts 1, 2, 4 recorded, 3 not */
	for (unsigned a = 1; a <= 4; a++) {
		decision(tl, "initiate", a);
		decision(tl, "failed", a);
	}
	decision(tl, "wait", 1);	/* not a history event */
	decision(tl, "up", 4);
	observe(tl, "ESTABLISHED", "INSTALLED", NULL);	/* already said by the keep-alive */
	assert_kinds(dir, "up rekey rekey down verdict initiate failed initiate failed initiate failed up");
	/* the keep-alive found it down before a refresh did: down, then its initiate */
	decision(tl, "initiate", 3);
	decision(tl, "stalled", 0);
	decision(tl, "restart", 1);
	timeline_stop(tl, "the daemon stopped");
	assert_kinds(dir, "up rekey rekey down verdict initiate failed initiate failed initiate failed up down stalled restart "
			  "stop");

	json_t *s = timeline_summaries(tl);
	json_t *c = json_object_get(s, "con1");
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "state")), "unknown");
	assert_int_equal(json_array_size(json_object_get(c, "recent")), 16);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "day"), "outages")), 2);
	json_decref(s);
	timeline_free(tl);
	unit_tmpdir_remove(dir);
}

/* A new daemon (nothing in memory) over an existing timeline: an up it sees is not repeated. */
static void test_restart_dedupe(void **state)
{
	char *dir = unit_tmpdir("test_timeline");
	struct timeline *tl = timeline_new(dir);

	(void)state;
	observe(tl, "ESTABLISHED", "INSTALLED", NULL);
	timeline_free(tl);
	tl = timeline_new(dir);
	observe(tl, "ESTABLISHED", "INSTALLED", NULL);
	assert_kinds(dir, "up");
	/* an entry not in the tunnel file (no ikeid) is not followed */
	json_t *a = json_pack("[{s:s, s:s, s:[{s:s, s:s}]}]", "name", "con9", "state", "ESTABLISHED", "children", "name",
			      "con9", "state", "INSTALLED");
	timeline_observe(tl, a, "periodic refresh");
	json_decref(a);
	json_t *s = timeline_summaries(tl);
	assert_null(json_object_get(s, "con9"));
	json_decref(s);
	timeline_free(tl);
	unit_tmpdir_remove(dir);
}

static void append_at(const char *dir, const char *name, enum history_kind kind, int64_t at)
{
	struct history_rec r = { .time_ms = at, .kind = kind };

	snprintf(r.reason, sizeof(r.reason), "test");
	assert_int_equal(state_history_append(dir, name, &r, false), 0);
}

/* A daemon killed without its stop records (kill -9): the next one ends each timeline whose
 * state was known at the last alive mark with a stop there, so the time since is unknown. */
static void test_recover_after_kill(void **state)
{
	char *dir = unit_tmpdir("test_timeline");
	struct timeline *tl = timeline_new(dir);
	int64_t now = wall_ms(), mark = 0;
	struct history h = { 0 };

	(void)state;
	/* no mark: a clean start */
	assert_int_equal(timeline_recover(tl), 0);
	append_at(dir, "con1", HISTORY_UP, now - 1200000);
	append_at(dir, "con2", HISTORY_STOP, now - 1800000);	/* already unknown */
	append_at(dir, "con3", HISTORY_DOWN, now - 1200000);
	/* a fresh mark may be a running daemon's: left alone */
	assert_int_equal(state_history_alive_save(dir, now - 1000), 0);
	assert_int_equal(timeline_recover(tl), 0);
	assert_int_equal(state_history_alive_load(dir, &mark), 0);
	/* the last daemon's mark, 10 minutes old */
	assert_int_equal(state_history_alive_save(dir, now - 600000), 0);
	assert_int_equal(timeline_recover(tl), 2);
	assert_int_equal(state_history_alive_load(dir, &mark), -ENOENT);
	assert_kinds(dir, "up stop");
	assert_int_equal(state_history_load(dir, "con1", &h), 0);
	assert_int_equal(h.v[1].time_ms, now - 600000);
	assert_non_null(strstr(h.v[1].reason, "without stopping"));
	/* down until the mark, unknown since: the outage is 10 minutes, not 20 */
	assert_int_equal(history_state_at(&h, now), HISTORY_S_UNKNOWN);
	history_free(&h);
	assert_int_equal(state_history_load(dir, "con3", &h), 0);
	struct history_avail a;
	history_availability(&h, now - 3600000, now, &a);
	assert_int_equal(a.down_ms, 600000);
	history_free(&h);
	assert_int_equal(state_history_load(dir, "con2", &h), 0);
	assert_int_equal(h.n, 1);
	history_free(&h);
	/* running: the mark is saved; a clean stop removes it */
	timeline_alive(tl);
	assert_int_equal(state_history_alive_load(dir, &mark), 0);
	assert_true(mark >= now);
	timeline_stop(tl, "stopped");
	assert_int_equal(state_history_alive_load(dir, &mark), -ENOENT);
	timeline_free(tl);
	unit_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_observe_and_decide),
		cmocka_unit_test(test_restart_dedupe),
		cmocka_unit_test(test_recover_after_kill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
