/* test_doctor_log.c - charon log line parser: each format detector, the fields, junk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "doctor_log.h"

static struct doctor_line parse_ok(const char *s)
{
	struct doctor_line l;
	assert_int_equal(doctor_log_parse(s, strlen(s), &l), 0);
	return l;
}

static void assert_msg(const struct doctor_line *l, const char *want)
{
	if (l->msg_len != strlen(want) || memcmp(l->msg, want, l->msg_len) != 0)
		fail_msg("message '%.*s', want '%s'", (int)l->msg_len, l->msg, want);
}

static void assert_name(const struct doctor_line *l, const char *want, unsigned id)
{
	assert_non_null(l->name);
	assert_int_equal(l->name_len, strlen(want));
	assert_memory_equal(l->name, want, l->name_len);
	assert_int_equal(l->sa_id, id);
}

/* Seconds of "2026-11-29 hh:mm:ss" UTC since the epoch. */
static int64_t utc(int h, int m, int s)
{
	return 1795910400LL + h * 3600 + m * 60 + s;	/* 2026-11-29T00:00:00Z */
}

static void test_filelog_ike_name(void **state)
{
	(void)state;
	struct doctor_line l = parse_ok("Nov 29 15:00:25 09[IKE] <con1|1> initiating IKE_SA con1[1] to 10.99.0.2\n");
	assert_int_equal(l.fmt, DOCTOR_FMT_FILELOG);
	assert_true(l.has_time);
	assert_int_equal(l.thread, 9);
	assert_string_equal(l.group, "IKE");
	assert_int_equal(l.level, -1);
	assert_name(&l, "con1", 1);
	assert_msg(&l, "initiating IKE_SA con1[1] to 10.99.0.2");

	/* responder before a config is picked: only the unique id */
	l = parse_ok("Nov  9 15:00:25 13[CFG] <17> looking for an IKEv2 config for 10.99.0.2...10.99.0.1");
	assert_null(l.name);
	assert_int_equal(l.sa_id, 17);
	assert_msg(&l, "looking for an IKEv2 config for 10.99.0.2...10.99.0.1");

	/* BSD stamps compare within a file */
	struct doctor_line a = parse_ok("Nov 29 15:00:25 09[IKE] x"), b = parse_ok("Nov 29 15:00:26 09[IKE] x");
	assert_true(b.time == a.time + 1);
}

static void test_filelog_variants(void **state)
{
	(void)state;
	/* no time_format at all */
	struct doctor_line l = parse_ok("09[CFG] configured proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128");
	assert_int_equal(l.fmt, DOCTOR_FMT_FILELOG);
	assert_false(l.has_time);
	assert_int_equal(l.sa_id, 0);
	assert_msg(&l, "configured proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128");

	/* ISO stamp with milliseconds (time_add_ms), no ike_name */
	l = parse_ok("2026-11-29T15:00:25.671 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8)");
	assert_int_equal(l.fmt, DOCTOR_FMT_FILELOG);
	assert_true(l.has_time);
	assert_true(l.time == utc(15, 0, 25));
	assert_int_equal(l.thread, 0);
	assert_string_equal(l.group, "DMN");

	/* log_level = yes puts the level into the group */
	l = parse_ok("Nov 29 15:00:25 12[IKE1] <con3|42> giving up after 5 retransmits");
	assert_int_equal(l.level, 1);
	assert_string_equal(l.group, "IKE");
	assert_name(&l, "con3", 42);

	/* an unknown custom time_format: the thread token is still found */
	l = parse_ok("[29/11/2026 15h00] 16[NET] <con1|2> sending packet: from 10.99.0.1[500]");
	assert_int_equal(l.fmt, DOCTOR_FMT_FILELOG);
	assert_false(l.has_time);
	assert_int_equal(l.thread, 16);
	assert_name(&l, "con1", 2);
	assert_msg(&l, "sending packet: from 10.99.0.1[500]");
}

static void test_syslog_3164(void **state)
{
	(void)state;
	struct doctor_line l = parse_ok("Nov 29 15:00:25 gw1 charon[1234]: 09[IKE] <con1|1> received AUTHENTICATION_FAILED notify error");
	assert_int_equal(l.fmt, DOCTOR_FMT_SYSLOG);
	assert_true(l.has_time);
	assert_int_equal(l.thread, 9);
	assert_name(&l, "con1", 1);
	assert_msg(&l, "received AUTHENTICATION_FAILED notify error");

	l = parse_ok("Nov 29 15:00:25 gw1 ipsec[77]: 05[CFG] loaded IKE shared key");
	assert_int_equal(l.fmt, DOCTOR_FMT_SYSLOG);
	assert_int_equal(l.thread, 5);
	assert_msg(&l, "loaded IKE shared key");

	l = parse_ok("Nov 29 15:00:25 gw1 charon: 11[IKE] <7> 10.0.0.2 is initiating an IKE_SA");
	assert_int_equal(l.fmt, DOCTOR_FMT_SYSLOG);
	assert_int_equal(l.sa_id, 7);
	assert_msg(&l, "10.0.0.2 is initiating an IKE_SA");

	/* without the NN[IKE] prefix */
	l = parse_ok("Nov 29 15:00:25 gw1 charon[1234]: giving up after 5 retransmits");
	assert_int_equal(l.fmt, DOCTOR_FMT_SYSLOG);
	assert_int_equal(l.thread, -1);
	assert_string_equal(l.group, "");
	assert_msg(&l, "giving up after 5 retransmits");

	/* strongSwan 6 with log_level: level in the group (Intra2net manual) */
	l = parse_ok("May 13 11:50:03 intra charon: 12[IKE1] <C1|3> authentication of 'CN=intra.net.lan' with RSA_EMSA_PKCS1_NULL successful");
	assert_int_equal(l.fmt, DOCTOR_FMT_SYSLOG);
	assert_int_equal(l.level, 1);
	assert_name(&l, "C1", 3);

	/* charon-systemd as journalctl -o short prints it */
	l = parse_ok("Nov 29 15:00:25 gw1 charon-systemd[900]: 14[IKE] <con2|3> sending DPD request");
	assert_int_equal(l.fmt, DOCTOR_FMT_SYSLOG);
	assert_name(&l, "con2", 3);
}

static void test_syslog_5424(void **state)
{
	(void)state;
	/* OPNsense ipsec.log */
	struct doctor_line l = parse_ok("<30>1 2026-11-29T16:00:25+01:00 fw.example.org charon 4040 - [meta sequenceId=\"12\"] 16[IKE] <con1|2> deleting IKE_SA con1[2] between 1.2.3.4[1.2.3.4]...5.6.7.8[5.6.7.8]");
	assert_int_equal(l.fmt, DOCTOR_FMT_SYSLOG5424);
	assert_true(l.has_time);
	assert_true(l.time == utc(15, 0, 25));
	assert_int_equal(l.thread, 16);
	assert_name(&l, "con1", 2);
	assert_msg(&l, "deleting IKE_SA con1[2] between 1.2.3.4[1.2.3.4]...5.6.7.8[5.6.7.8]");

	/* journalctl -o short-iso */
	l = parse_ok("2026-11-29T15:00:25+0000 gw1 charon[12]: 09[IKE] <con1|1> sending DPD request");
	assert_true(l.time == utc(15, 0, 25));
	assert_int_equal(l.thread, 9);
	assert_msg(&l, "sending DPD request");

	/* pfSense 2.6+ RFC 5424 stamps in the file, then a BSD-style tag */
	l = parse_ok("2026-11-29T15:00:25.123456+00:00 pfSense.home.arpa charon[39611]: 08[IKE] <con1|5> establishing CHILD_SA con1{5}");
	assert_true(l.time == utc(15, 0, 25));
	assert_name(&l, "con1", 5);
	assert_msg(&l, "establishing CHILD_SA con1{5}");
}

static void test_gui_copies(void **state)
{
	(void)state;
	/* pfSense Status > System Logs > IPsec: time, process, PID, message */
	struct doctor_line l = parse_ok("Nov 29 15:00:25\tcharon\t4040\t16[IKE] <con1|2> IKE_SA con1[2] established between a...b");
	assert_int_equal(l.fmt, DOCTOR_FMT_GUI);
	assert_true(l.has_time);
	assert_int_equal(l.thread, 16);
	assert_name(&l, "con1", 2);
	assert_msg(&l, "IKE_SA con1[2] established between a...b");

	/* OPNsense Log Files: date, severity, process, line */
	l = parse_ok("2026-11-29T15:00:25\tInformational\tcharon\t09[CFG] <con1|1> selected proposal: IKE:AES_CBC_256");
	assert_int_equal(l.fmt, DOCTOR_FMT_GUI);
	assert_int_equal(l.thread, 9);
	assert_msg(&l, "selected proposal: IKE:AES_CBC_256");
}

static void test_console_and_plain(void **state)
{
	(void)state;
	struct doctor_line l = parse_ok("[IKE] initiating IKE_SA con1[1] to 10.99.0.2");
	assert_int_equal(l.fmt, DOCTOR_FMT_CONSOLE);
	assert_string_equal(l.group, "IKE");
	assert_int_equal(l.thread, -1);
	assert_msg(&l, "initiating IKE_SA con1[1] to 10.99.0.2");

	/* ipsec up prints bare messages */
	l = parse_ok("establishing connection 'con1' failed");
	assert_int_equal(l.fmt, DOCTOR_FMT_PLAIN);
	assert_msg(&l, "establishing connection 'con1' failed");
}

static void test_journal_export(void **state)
{
	struct doctor_line l;
	(void)state;
	l = parse_ok("MESSAGE=09[IKE] <con1|1> received DELETE for IKE_SA con1[1]");
	assert_int_equal(l.fmt, DOCTOR_FMT_JOURNAL);
	assert_name(&l, "con1", 1);
	assert_msg(&l, "received DELETE for IKE_SA con1[1]");
	assert_int_equal(doctor_log_parse("_PID=1234", 9, &l), -ENOMSG);
	assert_int_equal(doctor_log_parse("__REALTIME_TIMESTAMP=1795960825000000", 37, &l), -ENOMSG);
}

static void test_junk(void **state)
{
	struct doctor_line l;
	(void)state;
	assert_int_equal(doctor_log_parse("", 0, &l), -ENOMSG);
	assert_int_equal(doctor_log_parse("\r\n", 2, &l), -ENOMSG);

	/* CRLF is not part of the message */
	l = parse_ok("09[IKE] <con1|1> sending DPD request\r\n");
	assert_msg(&l, "sending DPD request");

	/* a broken SA prefix stays in the message */
	l = parse_ok("09[IKE] <con1|x> text");
	assert_int_equal(l.sa_id, 0);
	assert_null(l.name);
	assert_msg(&l, "<con1|x> text");

	/* "charon" in a filelog message is not a syslog tag */
	l = parse_ok("Nov 29 15:00:25 00[DMN] Starting IKE charon daemon");
	assert_int_equal(l.fmt, DOCTOR_FMT_FILELOG);
	assert_msg(&l, "Starting IKE charon daemon");

	/* NUL bytes, invalid UTF-8 and a cut-off prefix: parsed without reading past len */
	static const char bin[] = "\x00\xff\xfe[IK\x00 09[I";
	assert_int_equal(doctor_log_parse(bin, sizeof(bin) - 1, &l), 0);
	assert_int_equal(l.fmt, DOCTOR_FMT_PLAIN);
	l = parse_ok("Nov 29 15:00:2");
	assert_false(l.has_time);
	l = parse_ok("2026-13-45T99:00:00 x");
	assert_false(l.has_time);
	l = parse_ok("99[");
	assert_int_equal(l.thread, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filelog_ike_name),
		cmocka_unit_test(test_filelog_variants),
		cmocka_unit_test(test_syslog_3164),
		cmocka_unit_test(test_syslog_5424),
		cmocka_unit_test(test_gui_copies),
		cmocka_unit_test(test_console_and_plain),
		cmocka_unit_test(test_journal_export),
		cmocka_unit_test(test_junk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
