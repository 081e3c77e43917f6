/* test_doctor_events.c - charon message -> event and captured fields, table-driven on real
 * messages (from the lab's recorded charon logs, tests/data/logs/lab/), and the catalogue's
 * own consistency. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "doctor_events.h"
#include "util.h"

struct ev_case {
	const char *msg;
	enum ev ev;
	const char *caps[DOCTOR_EV_CAPS];	/* the fields the rules read; NULL: not checked */
};

static const struct ev_case cases[] = {
	{ "initiating IKE_SA con1[1] to 10.99.0.2", EV_INITIATING,
	  { "", "con1", "1", "10.99.0.2" } },
	{ "initiating Main Mode IKE_SA con2[4] to 10.99.0.2", EV_INITIATING,
	  { "Main Mode ", "con2", "4", "10.99.0.2" } },
	{ "10.99.0.1 is initiating an IKE_SA", EV_RESP_START, { "10.99.0.1", "an " } },
	{ "10.99.0.1 is initiating a Main Mode IKE_SA", EV_RESP_START,
	  { "10.99.0.1", "a Main Mode " } },
	/* a redacted address still starts a responder's SA */
	{ "[server-ip] is initiating an IKE_SA", EV_RESP_START, { "[server-ip]" } },
	{ "IKE_SA con1[1] established between 10.99.0.2[10.99.0.2]...10.99.0.1[10.99.0.1]",
	  EV_IKE_UP, { "con1", "1", "10.99.0.2", "10.99.0.2", "10.99.0.1", "10.99.0.1" } },
	{ "IKE_SA con1[7] rekeyed between 10.99.0.2[10.99.0.2]...10.99.0.1[10.99.0.1]",
	  EV_IKE_REKEYED, { "con1", "7" } },
	{ "sending packet: from 10.99.0.2[500] to 10.99.0.1[500] (36 bytes)", EV_SEND,
	  { "10.99.0.2", "500", "10.99.0.1", "500" } },
	{ "retransmit 1 of request with message ID 2", EV_RETRANSMIT, { "1", "2" } },
	{ "sending retransmit 2 of request message ID 0, seq 3", EV_RETRANSMIT,
	  { "2", "0, seq 3" } },
	{ "generating CREATE_CHILD_SA request 5 [ SA No TSi TSr ]", EV_CREATE_CHILD,
	  { "5", "SA No TSi TSr ]" } },
	{ "closing CHILD_SA con1{1} with SPIs 0f81d123_i (120 bytes) 84c59e3e_o (0 bytes) and TS "
	  "10.2.0.0/24 === 10.1.0.0/24", EV_CHILD_CLOSE,
	  { "con1{1}", "0f81d123", "120", "84c59e3e", "0" } },
	{ " config: 10.2.0.0/24, received: 10.2.0.0/24 => match: 10.2.0.0/24", EV_TS_SELECT,
	  { "10.2.0.0/24", "10.2.0.0/24", "match: 10.2.0.0/24" } },
	{ "config: 10.2.0.0/24, received: 0.0.0.0/0 => no match", EV_TS_SELECT,
	  { "10.2.0.0/24", "0.0.0.0/0", "no match" } },
	{ "looking for an IKEv2 config for 10.99.0.2...10.99.0.1", EV_IKE_CFG_LOOKUP,
	  { "2", "10.99.0.2", "10.99.0.1" } },
	{ "no IKE config found for 10.99.0.2...10.99.0.1, sending NO_PROPOSAL_CHOSEN",
	  EV_NO_IKE_CFG, { "10.99.0.2", "10.99.0.1, sending NO_PROPOSAL_CHOSEN" } },
	{ "selected peer config 'con1'", EV_SELECTED_PEER, { "con1" } },
	{ "loading connection 'con1' failed: invalid value", EV_CONFIG_ERR, { "con1" } },
	{ "received proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
	  EV_RECV_PROPS, { "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" } },
	{ "tried 1 shared key for '10.99.0.2' - '10.99.0.1', but MAC mismatched", EV_PSK_MAC, { NULL } },
	{ "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built", EV_N_NO_PROP,
	  { "", ", no CHILD_SA built" } },
	{ "received FAILED_CP_REQUIRED notify error", EV_N_OTHER, { "FAILED_CP_REQUIRED" } },
	{ "giving up after 5 retransmits", EV_GIVE_UP, { "5" } },
	/* IKEv1 refused by a charon without it is a version mismatch; a nonsense version is a
	 * packet that is not IKE (a look-alike, quoted from a public repository's notes on a
	 * broken NAT-T implementation) and names no cause */
	{ "received unsupported IKE version 1.0 from 192.0.2.9, sending INVALID_MAJOR_VERSION",
	  EV_DECISIVE, { "0", "192.0.2.9" } },
	{ "received unsupported IKE version 7.10 from 185.81.252.44, sending INVALID_MAJOR_VERSION",
	  EV_INFO, { NULL } },
	/* not charon's: nothing */
	{ "kernel: eth0: link up", EV_NONE, { NULL } },
	{ "", EV_NONE, { NULL } },
};

static void test_classify_table(void **state)
{
	(void)state;
	struct doctor_events *ix = doctor_events_new();

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ev_case *c = &cases[i];
		struct doctor_event e;
		enum ev got = doctor_events_classify(ix, c->msg, strlen(c->msg), &e);
		if (got != c->ev)
			fail_msg("'%s': event %d, want %d", c->msg, got, c->ev);
		for (unsigned k = 0; k < DOCTOR_EV_CAPS && c->caps[k]; k++) {
			if (k >= e.n_cap)
				fail_msg("'%s': no capture %u", c->msg, k);
			if (e.cap[k].n != strlen(c->caps[k]) ||
			    memcmp(e.cap[k].p, c->caps[k], e.cap[k].n) != 0)
				fail_msg("'%s': capture %u is '%.*s', want '%s'", c->msg, k,
					 (int)e.cap[k].n, e.cap[k].p, c->caps[k]);
		}
	}
	doctor_events_free(ix);
}

/* Every row's pattern is matched by itself (with its '*'s as text), classifies to its own
 * row or an earlier one of the same event: no row is shadowed into the wrong event. */
static void test_rows_reachable(void **state)
{
	(void)state;
	size_t n;
	const struct doctor_pattern *rows = doctor_events_catalogue(&n);
	struct doctor_events *ix = doctor_events_new();
	size_t bad = 0;

	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		char msg[512];
		size_t k = 0;
		/* the pattern with each '*' made a plausible field */
		for (const char *p = rows[i].pat; *p && k + 8 < sizeof(msg); p++) {
			if (*p == '*') {
				memcpy(msg + k, "x1", 2);
				k += 2;
			} else {
				msg[k++] = *p;
			}
		}
		msg[k] = '\0';
		struct doctor_event e;
		doctor_events_classify(ix, msg, k, &e);
		/* an earlier row may take the message if it says the same (same event or class) */
		if (e.ev != rows[i].ev && (!e.row || e.row->cls != rows[i].cls)) {
			print_message("row %zu '%s': '%s' classifies as row '%s' (event %d class %d), "
				      "want event %d class %d\n", i, rows[i].pat, msg,
				      e.row ? e.row->pat : "-", e.ev, e.row ? (int)e.row->cls : -1,
				      rows[i].ev, rows[i].cls);
			bad++;
		}
		assert_non_null(rows[i].why);
		assert_true(rows[i].why[0] != '\0');
		assert_true(rows[i].cls <= DOCTOR_NO_CLASS);
	}
	doctor_events_free(ix);
	assert_int_equal(bad, 0);
}

/* docs/doctor-messages.md holds the catalogue's table as the matcher has it. */
static void test_docs_in_sync(void **state)
{
	(void)state;
	FILE *f = fopen("docs/doctor-messages.md", "r");
	struct buf want, got;
	char chunk[4096];
	size_t k;

	assert_non_null(f);
	buf_init(&got);
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		for (size_t i = 0; i < k; i++)
			buf_addc(&got, chunk[i]);
	fclose(f);
	buf_init(&want);
	doctor_events_markdown(&want);
	const char *table = strstr(got.data, "| message (charon");
	assert_non_null(table);
	if (strcmp(table, want.data) != 0)
		fail_msg("docs/doctor-messages.md differs from the catalogue: run `make docs`");
	buf_free(&want);
	buf_free(&got);
}

static void test_num(void **state)
{
	(void)state;
	struct doctor_events *ix = doctor_events_new();
	struct doctor_event e;
	const char *m = "closing CHILD_SA con1{1} with SPIs 0f81d123_i (17749836 bytes) "
			"84c59e3e_o (99 bytes) and TS 10.2.0.0/24 === 10.1.0.0/24";

	assert_int_equal(doctor_events_classify(ix, m, strlen(m), &e), EV_CHILD_CLOSE);
	assert_int_equal(doctor_events_num(&e, 2), 17749836ULL);
	assert_int_equal(doctor_events_num(&e, 4), 99ULL);
	assert_int_equal(doctor_events_num(&e, 9), 0);
	doctor_events_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_rows_reachable),
		cmocka_unit_test(test_num),
		cmocka_unit_test(test_docs_in_sync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
