/* test_stallwatch.c - the stall verdict over sample sequences, and the XFRM error counters
 * that grew between two real readings of /proc/net/xfrm_stat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stallwatch.h"
#include "util.h"

#define GAP 1000
#define LIMIT 300000

static void test_stalled_after_samples(void **state)
{
	struct stallwatch w = { 0 };
	int64_t t = 5000;

	(void)state;
	assert_int_equal(stallwatch_sample(&w, 7, 10, 10, t, GAP, LIMIT), STALLWATCH_OK);	/* baseline */
	/* replies come: fine */
	assert_int_equal(stallwatch_sample(&w, 7, 15, 15, t += 2000, GAP, LIMIT), STALLWATCH_FLOWING);
	/* out grows, in flat: suspect twice, then stalled */
	assert_int_equal(stallwatch_sample(&w, 7, 15, 20, t += 2000, GAP, LIMIT), STALLWATCH_SUSPECT);
	/* a sample too soon after the last one does not count */
	assert_int_equal(stallwatch_sample(&w, 7, 15, 21, t + 10, GAP, LIMIT), STALLWATCH_SUSPECT);
	/* idle: neither counts nor resets */
	assert_int_equal(stallwatch_sample(&w, 7, 15, 20, t += 2000, GAP, LIMIT), STALLWATCH_SUSPECT);
	assert_int_equal(stallwatch_sample(&w, 7, 15, 25, t += 2000, GAP, LIMIT), STALLWATCH_SUSPECT);
	assert_int_equal(stallwatch_sample(&w, 7, 15, 30, t += 2000, GAP, LIMIT), STALLWATCH_STALLED);
	assert_int_equal(w.sent, 15);
	stallwatch_restarted(&w, t);
	/* the restarted child (another SA) stalls again at once: held back by the rate limit */
	assert_int_equal(stallwatch_sample(&w, 8, 0, 0, t += 2000, GAP, LIMIT), STALLWATCH_OK);
	for (int i = 1; i < STALLWATCH_SAMPLES; i++)
		assert_int_equal(stallwatch_sample(&w, 8, 0, (uint64_t)i * 5, t += 2000, GAP, LIMIT), STALLWATCH_SUSPECT);
	assert_int_equal(stallwatch_sample(&w, 8, 0, 99, t += 2000, GAP, LIMIT), STALLWATCH_HELD);
	/* once the limit has passed, the next stalled sample restarts again */
	assert_int_equal(stallwatch_sample(&w, 8, 0, 120, t += LIMIT, GAP, LIMIT), STALLWATCH_STALLED);
}

static void test_reply_or_new_sa_resets(void **state)
{
	struct stallwatch w = { 0 };
	int64_t t = 1000;

	(void)state;
	stallwatch_sample(&w, 1, 0, 0, t, GAP, LIMIT);
	stallwatch_sample(&w, 1, 0, 5, t += 2000, GAP, LIMIT);
	stallwatch_sample(&w, 1, 0, 9, t += 2000, GAP, LIMIT);
	/* one packet in: the count starts over */
	assert_int_equal(stallwatch_sample(&w, 1, 1, 12, t += 2000, GAP, LIMIT), STALLWATCH_FLOWING);
	assert_int_equal(w.flat, 0);
	stallwatch_sample(&w, 1, 1, 15, t += 2000, GAP, LIMIT);
	stallwatch_sample(&w, 1, 1, 18, t += 2000, GAP, LIMIT);
	/* a rekey: new SA, new counters; the count starts over */
	assert_int_equal(stallwatch_sample(&w, 2, 0, 3, t += 2000, GAP, LIMIT), STALLWATCH_OK);
	assert_int_equal(w.flat, 0);
	/* counters that went back (the same id reused after a restart of charon) too */
	stallwatch_sample(&w, 2, 0, 8, t += 2000, GAP, LIMIT);
	assert_int_equal(stallwatch_sample(&w, 2, 0, 1, t += 2000, GAP, LIMIT), STALLWATCH_OK);
	assert_int_equal(w.flat, 0);
	stallwatch_reset(&w);
	assert_int_equal(w.at, 0);
}

/* two readings: the idle one recorded in the lab, and the same with inbound errors grown */
static void test_xfrm_grown(void **state)
{
	struct buf before;
	char after[STALLWATCH_XFRM_MAX], out[256], tiny[12];
	size_t n;

	(void)state;
	buf_init(&before);
	assert_int_equal(file_read_all("tests/data/xfrm/xfrm_stat.idle", STALLWATCH_XFRM_MAX, &before), 0);
	assert_non_null(strstr(before.data, "XfrmInNoStates"));
	assert_int_equal(stallwatch_xfrm_grown(before.data, before.len, before.data, before.len, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* the same reading with XfrmInNoStates at 12 and XfrmOutNoStates at 4 (not inbound) */
	n = 0;
	for (const char *p = before.data; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (strncmp(p, "XfrmInNoStates", 14) == 0)
			n += (size_t)snprintf(after + n, sizeof(after) - n, "XfrmInNoStates          \t12\n");
		else if (strncmp(p, "XfrmOutNoStates", 15) == 0)
			n += (size_t)snprintf(after + n, sizeof(after) - n, "XfrmOutNoStates         \t4\n");
		else
			n += (size_t)snprintf(after + n, sizeof(after) - n, "%.*s", (int)l, p);
		p += l;
	}
	assert_int_equal(stallwatch_xfrm_grown(before.data, before.len, after, n, out, sizeof(out)), 1);
	assert_string_equal(out, "XfrmInNoStates +12");
	/* a buffer too small is cut, never overrun */
	assert_int_equal(stallwatch_xfrm_grown(before.data, before.len, after, n, tiny, sizeof(tiny)), 1);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	/* garbage is ignored */
	assert_int_equal(stallwatch_xfrm_grown("XfrmInError x\n", 14, "XfrmInError 5 junk\n", 19, out, sizeof(out)), 0);
	buf_free(&before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_after_samples),
		cmocka_unit_test(test_reply_or_new_sa_resets),
		cmocka_unit_test(test_xfrm_grown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
