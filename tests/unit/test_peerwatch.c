/* test_peerwatch.c - the per-gateway probe schedule: silent versus refusing peers, one probe a
 * second per gateway whatever the outage length, echo or IKE probe, everything initiated the
 * moment the gateway answers or initiates. Inputs are times, tunnel states and outcomes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "peerwatch.h"

#define HOUR_MS (3600 * 1000LL)
#define TICK_MS 100	/* how often the simulated loop steps the schedule */

static const struct peerwatch_view all_up = { .tunnels = 3, .up = 3 };
static const struct peerwatch_view all_silent = { .tunnels = 3, .silent = 3 };
static const struct peerwatch_view two_silent_one_refused = { .tunnels = 3, .silent = 2, .answered = 1 };

static void test_silence_needs_no_answer(void **state)
{
	struct peerwatch gw = { 0 };
	struct peerwatch_view one_up = { .tunnels = 3, .up = 1, .silent = 2 };

	(void)state;
	assert_int_equal(peerwatch_step(&gw, 1000, &all_up, PEERWATCH_EV_NONE), 0);
	assert_int_equal(peerwatch_step(&gw, 2000, &one_up, PEERWATCH_EV_NONE), 0);
	/* a refusing peer answers: its tunnels keep their own backoff, no gateway probe */
	assert_int_equal(peerwatch_step(&gw, 3000, &two_silent_one_refused, PEERWATCH_EV_NONE), 0);
	assert_false(gw.silent);
	assert_int_equal(peerwatch_next(&gw), -1);
	/* nothing tried yet (or every attempt still in its first second): not silent either */
	struct peerwatch_view untried = { .tunnels = 3 };
	assert_int_equal(peerwatch_step(&gw, 3500, &untried, PEERWATCH_EV_NONE), 0);
	/* one unanswered with none answered is enough: IKE goes to one address, whatever the
	 * tunnel, so the other two need not each wait out charon's retransmits */
	struct peerwatch_view one_silent = { .tunnels = 3, .silent = 1 };
	assert_int_equal(peerwatch_step(&gw, 4000, &one_silent, PEERWATCH_EV_NONE), PEERWATCH_ACT_SILENT);
	assert_true(gw.silent);
	assert_int_equal(gw.silent_since, 4000);
	assert_int_equal(peerwatch_next(&gw), 4000 + PEERWATCH_PROBE_MS);
	/* no gateway at all: never silent */
	struct peerwatch none = { 0 };
	struct peerwatch_view empty = { 0 };
	assert_int_equal(peerwatch_step(&none, 1, &empty, PEERWATCH_EV_NONE), 0);
}

/* Three hours silent: exactly one probe per second, IKE (no echo learned), no backoff growth. */
static void test_one_probe_a_second_for_hours(void **state)
{
	struct peerwatch gw = { 0 };
	unsigned probes = 0;
	int64_t last = -1, worst_gap = 0;

	(void)state;
	peerwatch_step(&gw, 0, &all_silent, PEERWATCH_EV_NONE);
	for (int64_t now = TICK_MS; now <= 3 * HOUR_MS; now += TICK_MS) {
		unsigned act = peerwatch_step(&gw, now, &all_silent, PEERWATCH_EV_NONE);
		assert_int_equal(act & ~PEERWATCH_ACT_PROBE_IKE, 0);
		if (!act)
			continue;
		probes++;
		if (last >= 0 && now - last > worst_gap)
			worst_gap = now - last;
		last = now;
	}
	assert_int_equal(probes, 3 * 3600);
	assert_int_equal(worst_gap, PEERWATCH_PROBE_MS);
	assert_int_equal(gw.probes, probes);
	assert_int_equal(gw.silent_since, 0);
}

/* After an outage of any length, the gateway is initiated at most one probe period after it
 * returns: the probe that finds it answered is followed by INITIATE_ALL in the same step. */
static void test_back_within_a_second_after_any_outage(void **state)
{
	static const int64_t outages[] = { 5000, 150000, 330000, HOUR_MS + 777, 24 * HOUR_MS + 333 };

	(void)state;
	for (size_t i = 0; i < sizeof(outages) / sizeof(outages[0]); i++) {
		struct peerwatch gw = { 0 };
		int64_t back = outages[i], seen = -1;
		peerwatch_step(&gw, 0, &all_silent, PEERWATCH_EV_NONE);
		for (int64_t now = 1; now <= back + 5000 && seen < 0; now++) {
			if (now < gw.next_probe)
				continue;	/* the caller's poll wakes it at peerwatch_next */
			unsigned act = peerwatch_step(&gw, now, &all_silent, PEERWATCH_EV_NONE);
			if ((act & PEERWATCH_ACT_PROBE_IKE) && now >= back) {
				/* the peer is back: it answers the probe (a few ms later in reality) */
				act = peerwatch_step(&gw, now, &all_silent, PEERWATCH_EV_IKE_ANSWER);
				assert_true(act & PEERWATCH_ACT_INITIATE_ALL);
				assert_true(act & PEERWATCH_ACT_BACK);
				seen = now;
			}
		}
		assert_true(seen >= back);
		assert_true(seen - back <= PEERWATCH_PROBE_MS);
		assert_false(gw.silent);
		assert_int_equal(peerwatch_next(&gw), -1);
	}
}

/* 1,000 tunnels to 20 gateways, all silent for a minute: 20 probes a second, not 1,000. */
static void test_scale_twenty_gateways(void **state)
{
	enum { GATEWAYS = 20, TUNNELS = 1000, SECONDS = 60 };
	struct peerwatch gw[GATEWAYS];
	struct peerwatch_view v = { .tunnels = TUNNELS / GATEWAYS, .silent = TUNNELS / GATEWAYS };
	unsigned per_second[SECONDS + 1] = { 0 };

	(void)state;
	memset(gw, 0, sizeof(gw));
	for (int g = 0; g < GATEWAYS; g++)
		peerwatch_step(&gw[g], g * 37, &v, PEERWATCH_EV_NONE);	/* they went silent at different times */
	for (int64_t now = 0; now < SECONDS * 1000; now += 10)
		for (int g = 0; g < GATEWAYS; g++)
			if (peerwatch_step(&gw[g], now, &v, PEERWATCH_EV_NONE) & PEERWATCH_ACT_PROBE_IKE)
				per_second[now / 1000]++;
	for (int s = 2; s < SECONDS; s++)
		assert_int_equal(per_second[s], GATEWAYS);
}

/* Echo probes only where an echo can tell: learned while up, and lost during the silence. */
static void test_echo_probe_learned_while_up(void **state)
{
	struct peerwatch gw = { 0 };
	unsigned act;

	(void)state;
	/* an echo answered while the gateway's tunnels are up: it answers pings */
	peerwatch_step(&gw, 0, &all_up, PEERWATCH_EV_ECHO_REPLY);
	assert_true(gw.echo_learned);
	peerwatch_step(&gw, 100, &all_silent, PEERWATCH_EV_NONE);
	act = peerwatch_step(&gw, 1100, &all_silent, PEERWATCH_EV_NONE);
	assert_int_equal(act, PEERWATCH_ACT_PROBE_ECHO);
	assert_int_equal(peerwatch_step(&gw, 2000, &all_silent, PEERWATCH_EV_ECHO_LOST), 0);
	assert_int_equal(peerwatch_step(&gw, 2100, &all_silent, PEERWATCH_EV_NONE), PEERWATCH_ACT_PROBE_ECHO);
	/* the host answers again after losses: back, initiate everything at once */
	act = peerwatch_step(&gw, 2150, &all_silent, PEERWATCH_EV_ECHO_REPLY);
	assert_int_equal(act, PEERWATCH_ACT_INITIATE_ALL | PEERWATCH_ACT_BACK);
	assert_false(gw.silent);
	assert_true(gw.echo_learned);
}

/* The host answers echoes all through the silence (charon stopped, host up): IKE probes. */
static void test_echo_answered_while_silent_switches_to_ike(void **state)
{
	struct peerwatch gw = { .echo_learned = true };
	unsigned act;

	(void)state;
	peerwatch_step(&gw, 0, &all_silent, PEERWATCH_EV_NONE);
	assert_int_equal(peerwatch_step(&gw, 1000, &all_silent, PEERWATCH_EV_NONE), PEERWATCH_ACT_PROBE_ECHO);
	act = peerwatch_step(&gw, 1010, &all_silent, PEERWATCH_EV_ECHO_REPLY);
	assert_int_equal(act, 0);	/* an answering host with a silent IKE is not back */
	assert_true(gw.silent);
	assert_int_equal(peerwatch_step(&gw, 2000, &all_silent, PEERWATCH_EV_NONE), PEERWATCH_ACT_PROBE_IKE);
	assert_int_equal(peerwatch_step(&gw, 3000, &all_silent, PEERWATCH_EV_NONE), PEERWATCH_ACT_PROBE_IKE);
	/* a new silence starts with echoes again */
	peerwatch_step(&gw, 3100, &all_silent, PEERWATCH_EV_IKE_ANSWER);
	peerwatch_step(&gw, 3200, &all_up, PEERWATCH_EV_NONE);
	peerwatch_step(&gw, 9000, &all_silent, PEERWATCH_EV_NONE);
	assert_int_equal(peerwatch_step(&gw, 10000, &all_silent, PEERWATCH_EV_NONE), PEERWATCH_ACT_PROBE_ECHO);
}

/* The peer initiating is the peer being back: every tunnel, silent or backing off. */
static void test_peer_initiated(void **state)
{
	struct peerwatch gw = { 0 };

	(void)state;
	peerwatch_step(&gw, 0, &all_silent, PEERWATCH_EV_NONE);
	assert_int_equal(peerwatch_step(&gw, 500, &all_silent, PEERWATCH_EV_PEER_INITIATED),
			 PEERWATCH_ACT_INITIATE_ALL | PEERWATCH_ACT_BACK);
	assert_int_equal(gw.silent_since, 0);	/* kept: status says since when it was silent */
	/* not silent (refusing, backing off): the backoff is reset all the same */
	assert_int_equal(peerwatch_step(&gw, 600, &two_silent_one_refused, PEERWATCH_EV_PEER_INITIATED),
			 PEERWATCH_ACT_INITIATE_ALL);
}

/* A tunnel that gets an answer by itself (up, or refused) ends the silence for all of them. */
static void test_tunnel_answer_ends_silence(void **state)
{
	struct peerwatch gw = { 0 };
	struct peerwatch_view empty = { 0 };

	(void)state;
	peerwatch_step(&gw, 0, &all_silent, PEERWATCH_EV_NONE);
	assert_int_equal(peerwatch_step(&gw, 300, &two_silent_one_refused, PEERWATCH_EV_NONE),
			 PEERWATCH_ACT_INITIATE_ALL | PEERWATCH_ACT_BACK);
	peerwatch_step(&gw, 400, &all_silent, PEERWATCH_EV_NONE);
	assert_true(gw.silent);
	/* every tunnel manually down meanwhile: nothing left to probe for */
	assert_int_equal(peerwatch_step(&gw, 500, &empty, PEERWATCH_EV_NONE), PEERWATCH_ACT_BACK);
	assert_int_equal(peerwatch_step(&gw, 5000, &empty, PEERWATCH_EV_NONE), 0);
}

/* A loop that stalled for 10 s sends one probe, not ten. */
static void test_no_burst_after_a_stall(void **state)
{
	struct peerwatch gw = { 0 };

	(void)state;
	peerwatch_step(&gw, 0, &all_silent, PEERWATCH_EV_NONE);
	assert_int_equal(peerwatch_step(&gw, 11000, &all_silent, PEERWATCH_EV_NONE), PEERWATCH_ACT_PROBE_IKE);
	assert_int_equal(peerwatch_step(&gw, 11001, &all_silent, PEERWATCH_EV_NONE), 0);
	assert_int_equal(peerwatch_next(&gw), 12000);
}

static void test_event_names(void **state)
{
	(void)state;
	for (int i = 0; i < PEERWATCH_EV_COUNT; i++)
		assert_non_null(peerwatch_event_names[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silence_needs_no_answer),
		cmocka_unit_test(test_one_probe_a_second_for_hours),
		cmocka_unit_test(test_back_within_a_second_after_any_outage),
		cmocka_unit_test(test_scale_twenty_gateways),
		cmocka_unit_test(test_echo_probe_learned_while_up),
		cmocka_unit_test(test_echo_answered_while_silent_switches_to_ike),
		cmocka_unit_test(test_peer_initiated),
		cmocka_unit_test(test_tunnel_answer_ends_silence),
		cmocka_unit_test(test_no_burst_after_a_stall),
		cmocka_unit_test(test_event_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
