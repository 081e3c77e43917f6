/* test_doctor.c - the doctor on its corpus: every case of tests/data/logs/MANIFEST gets the
 * expected class for the expected tunnel, and every evidence line is a real line of its
 * file at the line number given. Also: newest-first files, stdin-like streams, junk. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor_read.h"
#include "doctor_rules.h"
#include "util.h"

#define LOGDIR "tests/data/logs/"
#define MAX_CASE_FILES 8

/* Line `no` (1-based) of path, as the doctor keeps evidence text: no line end, cut at
 * DOCTOR_MAX_EVIDENCE_TEXT, control bytes as '?'. NULL when the file is shorter. */
static char *file_line(const char *path, unsigned long no)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = -1;

	assert_non_null(f);
	for (unsigned long i = 0; i < no; i++)
		if ((n = getline(&line, &cap, f)) < 0)
			break;
	fclose(f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n > DOCTOR_MAX_EVIDENCE_TEXT)
		n = DOCTOR_MAX_EVIDENCE_TEXT;
	line[n] = '\0';
	for (ssize_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			line[i] = '?';
	}
	return line;
}

/* Length of s without trailing blanks. */
static size_t trimmed(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* Is text the file's line `no`, or that line joined with the lines after it (a paste the
 * reader unwrapped: pieces joined directly or with one blank)? */
static bool is_real_text(const char *path, unsigned long no, const char *text)
{
	char *real = file_line(path, no);
	bool ok = false, cut = strlen(text) == DOCTOR_MAX_EVIDENCE_TEXT;

	if (real && strcmp(real, text) == 0)
		ok = true;
	while (real && !ok) {
		size_t n = trimmed(real);
		if (strncmp(text, real, n) != 0)
			break;
		text += n;
		if (*text == ' ')
			text++;
		free(real);
		real = file_line(path, ++no);
		/* the last piece may be cut where the evidence text is */
		ok = real && *text &&
		     (strcmp(real, text) == 0 || (cut && strncmp(real, text, strlen(text)) == 0));
		if (real && !*text)
			break;
	}
	free(real);
	return ok;
}

/* Every evidence line of every verdict must be the file's line at that number (or that
 * line and its continuations, joined back). */
static void assert_evidence_real(const struct doctor *d, const struct doctor_verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].n_ev > 0);
		for (size_t k = 0; k < v[i].n_ev; k++) {
			const char *path = doctor_input_label(d, v[i].ev[k].input);
			if (!is_real_text(path, v[i].ev[k].line, v[i].ev[k].text))
				fail_msg("%s:%lu: evidence '%s' is not the file's line(s)", path,
					 v[i].ev[k].line, v[i].ev[k].text);
		}
	}
}

/* Run the doctor over files; returns the analysis (caller frees) and its verdicts. */
static struct doctor *run(char **files, size_t n_files, const struct doctor_verdict **v, size_t *n)
{
	struct doctor *d = doctor_new();

	for (size_t i = 0; i < n_files; i++) {
		bool nf;
		int err = doctor_read_path(d, files[i], &nf);
		if (err)
			fail_msg("%s: %s", files[i], strerror(-err));
	}
	*n = doctor_finish(d, v);
	return d;
}

#define REALDIR "tests/data/real/"

/* tests/data/real/INDEX.tsv: logs real users posted, with the class their thread settled.
 * The first (most important) verdict has that class, and its evidence is real lines; a row
 * whose 8th column reads "miss: REASON" is a documented miss, and must still miss (when the
 * doctor gets it right, the table is to be updated). */
static void test_real_corpus(void **state)
{
	FILE *m = fopen(REALDIR "INDEX.tsv", "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned cases = 0, right = 0, misses = 0, lineno = 0, failures = 0;
	(void)state;

	assert_non_null(m);
	while (getline(&line, &cap, m) >= 0) {
		char *col[8] = { 0 }, *p = line, *files[MAX_CASE_FILES], *save = NULL;
		size_t n_files = 0, n, k = 0;
		const struct doctor_verdict *v;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		while (k < 8 && p) {
			col[k++] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		assert_non_null(col[1]);
		for (char *f = strtok_r(col[0], ",", &save); f && n_files < MAX_CASE_FILES;
		     f = strtok_r(NULL, ",", &save))
			files[n_files++] = xasprintf(REALDIR "%s", f);
		struct doctor *d = run(files, n_files, &v, &n);
		bool documented_miss = col[7] && strncmp(col[7], "miss:", 5) == 0;
		bool got = n > 0 && strcmp(doctor_class_names[v[0].cls], col[1]) == 0;
		cases++;
		if (got && !documented_miss) {
			right++;
			assert_evidence_real(d, v, n);
		} else if (!got && documented_miss) {
			misses++;
		} else {
			print_message("INDEX.tsv:%u %s: expected %s%s, got %s\n", lineno, col[0],
				      documented_miss ? "a miss of " : "", col[1],
				      n ? doctor_class_names[v[0].cls] : "no verdict");
			failures++;
		}
		for (size_t i = 0; i < n_files; i++)
			free(files[i]);
		doctor_free(d);
	}
	free(line);
	fclose(m);
	print_message("%u real logs: %u right, %u documented misses\n", cases, right, misses);
	assert_true(cases >= 40);
	assert_int_equal(failures, 0);
}

static void test_manifest(void **state)
{
	FILE *m = fopen(LOGDIR "MANIFEST", "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned cases = 0, lineno = 0, failures = 0;
	(void)state;

	assert_non_null(m);
	while (getline(&line, &cap, m) >= 0) {
		char *save = NULL, *cls, *tunnel, *tok;
		char *files[MAX_CASE_FILES];
		size_t n_files = 0, n;
		const struct doctor_verdict *v;

		lineno++;
		cls = strtok_r(line, " \t\n", &save);
		if (!cls || cls[0] == '#')
			continue;
		tunnel = strtok_r(NULL, " \t\n", &save);
		assert_non_null(tunnel);
		while ((tok = strtok_r(NULL, " \t\n", &save)) && n_files < MAX_CASE_FILES)
			files[n_files++] = xasprintf(LOGDIR "%s", tok);
		assert_true(n_files > 0);
		for (char *p = tunnel; *p; p++)
			if (*p == '_' && strncmp(tunnel, "peer_", 5) == 0 && p == tunnel + 4)
				*p = ' ';

		struct doctor *d = run(files, n_files, &v, &n);
		bool found = false;
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i].tunnel, tunnel) == 0 &&
			    strcmp(doctor_class_names[v[i].cls], cls) == 0)
				found = true;
		if (!found) {
			print_message("MANIFEST:%u: expected %s for %s, got:\n", lineno, cls, tunnel);
			for (size_t i = 0; i < n; i++)
				print_message("    %s %s\n", doctor_class_names[v[i].cls], v[i].tunnel);
			failures++;
		}
		assert_evidence_real(d, v, n);
		doctor_free(d);
		for (size_t i = 0; i < n_files; i++)
			free(files[i]);
		cases++;
	}
	free(line);
	fclose(m);
	print_message("%u corpus cases\n", cases);
	assert_true(cases >= 40);
	assert_int_equal(failures, 0);
}

/* The lab's scenario generator (DIR/CLASS/expected: class=, tunnel=, logs=a.log+b.log):
 * each gets its class for its tunnel, with real evidence lines. */
static void lab_scenarios_in(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	unsigned cases = 0, failures = 0;

	assert_non_null(dh);
	while ((de = readdir(dh))) {
		const char *name = de->d_name;
		if (name[0] == '.')
			continue;
		char *path = xasprintf("%s%s/expected", dir, name), *line = NULL;
		char cls[64] = "", tunnel[64] = "", logs[256] = "";
		size_t cap = 0;
		FILE *f = fopen(path, "r");
		free(path);
		if (!f)
			continue;
		while (getline(&line, &cap, f) >= 0) {
			sscanf(line, "class=%63s", cls);
			sscanf(line, "tunnel=%63s", tunnel);
			sscanf(line, "logs=%255s", logs);
		}
		free(line);
		fclose(f);
		assert_true(cls[0] && tunnel[0] && logs[0]);

		char *files[MAX_CASE_FILES], *save = NULL;
		size_t n_files = 0, n;
		for (char *t = strtok_r(logs, "+", &save); t && n_files < MAX_CASE_FILES;
		     t = strtok_r(NULL, "+", &save))
			files[n_files++] = xasprintf("%s%s/%s", dir, name, t);
		const struct doctor_verdict *v;
		struct doctor *d = run(files, n_files, &v, &n);
		bool found = false;
		for (size_t i = 0; i < n; i++)
			found |= strcmp(v[i].tunnel, tunnel) == 0 &&
				 strcmp(doctor_class_names[v[i].cls], cls) == 0;
		if (!found) {
			print_message("scenario %s: expected %s for %s\n", name, cls, tunnel);
			failures++;
		}
		assert_evidence_real(d, v, n);
		doctor_free(d);
		for (size_t i = 0; i < n_files; i++)
			free(files[i]);
		cases++;
	}
	closedir(dh);
	print_message("%s: %u lab scenarios\n", dir, cases);
	assert_true(cases >= 10);
	assert_int_equal(failures, 0);
}

/* tests/data/scenarios/ (IPv4) and tests/data/scenarios-ipv6/ (the same scenarios over IPv6
 * gateways and networks: addresses like 2001:db8::1[500] in every line). */
static void test_lab_scenarios(void **state)
{
	(void)state;
	lab_scenarios_in("tests/data/scenarios/");
	lab_scenarios_in("tests/data/scenarios-ipv6/");
}

/* Write text to a fresh temporary file; returns its path (caller frees and unlinks). */
static char *temp_with(const char *text, size_t len)
{
	char *path = xstrdup("/tmp/test_doctor.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* The psk_mismatch responder log reversed (as pfSense's GUI shows it) gives the same verdict,
 * and evidence line numbers still point at the reversed file's real lines. */
static void test_newest_first(void **state)
{
	struct buf in, rev;
	const struct doctor_verdict *v;
	size_t n;
	bool nf;
	(void)state;

	buf_init(&in);
	buf_init(&rev);
	assert_int_equal(file_read_all(LOGDIR "lab/psk_mismatch/b.log", TC_MAX_FILE_SIZE, &in), 0);
	/* reverse the lines */
	size_t end = in.len;
	while (end > 0) {
		size_t start = end - 1;
		while (start > 0 && in.data[start - 1] != '\n')
			start--;
		size_t l = end - start;
		buf_add(&rev, in.data + start, l);
		if (l == 0 || in.data[end - 1] != '\n')
			buf_addc(&rev, '\n');
		end = start;
	}
	char *path = temp_with(rev.data, rev.len);
	struct doctor *d = doctor_new();
	assert_int_equal(doctor_read_path(d, path, &nf), 0);
	assert_true(nf);
	n = doctor_finish(d, &v);
	assert_int_equal(n, 1);
	assert_string_equal(doctor_class_names[v[0].cls], "psk_mismatch");
	assert_evidence_real(d, v, n);
	doctor_free(d);

	/* the same file in its own order is not taken for newest-first */
	d = doctor_new();
	assert_int_equal(doctor_read_path(d, LOGDIR "lab/psk_mismatch/b.log", &nf), 0);
	assert_false(nf);
	doctor_free(d);
	unlink(path);
	free(path);
	buf_free(&in);
	buf_free(&rev);
}

/* CRLF line ends, NUL bytes, invalid UTF-8, an overlong line and a missing final newline
 * around real lines: the verdict is unchanged and nothing crashes. */
static void test_junk_tolerated(void **state)
{
	struct buf b;
	const struct doctor_verdict *v;
	size_t n;
	bool nf;
	(void)state;

	buf_init(&b);
	buf_adds(&b, "\xff\xfe garbage \x80\x81\r\n");
	buf_add(&b, "\0\0\0binary\0junk\n", 16);
	for (size_t i = 0; i < 3 * DOCTOR_MAX_LINE; i++)
		buf_addc(&b, i % 7 ? 'x' : ' ');
	buf_adds(&b, "\n");
	buf_adds(&b, "Nov 29 15:00:25 13[IKE] <con1|1> initiating IKE_SA con1[1] to 10.99.0.2\r\n");
	buf_adds(&b, "Nov 29 15:00:26 10[IKE] <con1|1> retransmit 1 of request with message ID 0\r\n");
	buf_adds(&b, "Nov 29 15:00:27 10[IKE] <con1|1> retransmit 2 of request with message ID 0\xc3\r\n");
	buf_adds(&b, "Nov 29 15:00:30 10[IKE] <con1|1> giving up after 2 retransmits\r\n");
	buf_adds(&b, "Nov 29 15:00:30 10[IKE] <con1|1> establishing IKE_SA failed, peer not responding");
	char *path = temp_with(b.data, b.len);
	struct doctor *d = doctor_new();
	assert_int_equal(doctor_read_path(d, path, &nf), 0);
	n = doctor_finish(d, &v);
	assert_int_equal(n, 1);
	assert_string_equal(doctor_class_names[v[0].cls], "peer_unreachable");
	assert_string_equal(v[0].tunnel, "con1");
	assert_evidence_real(d, v, n);
	/* the last line has no newline and is still evidence */
	assert_int_equal(v[0].ev[v[0].n_ev - 1].line, 8);
	doctor_free(d);
	unlink(path);
	free(path);
	buf_free(&b);
}

/* A directory or a missing file is an input error, not an empty log. */
static void test_input_errors(void **state)
{
	struct doctor *d = doctor_new();
	bool nf;
	(void)state;

	assert_int_equal(doctor_read_path(d, "tests/data", &nf), -EISDIR);
	assert_int_equal(doctor_read_path(d, "tests/data/no-such-log", &nf), -ENOENT);
	doctor_free(d);
}

/* Run the doctor over one in-memory log; returns the analysis (caller frees). */
static struct doctor *run_text(const char *text, const struct doctor_verdict **v, size_t *n)
{
	char *path = temp_with(text, strlen(text));
	struct doctor *d = doctor_new();
	bool nf;

	assert_int_equal(doctor_read_path(d, path, &nf), 0);
	*n = doctor_finish(d, v);
	assert_evidence_real(d, *v, *n);
	unlink(path);
	free(path);
	return d;
}

/* ---- log cases: {input, expected class, expected text} ---- */

/* What one verdict must say: its class, its tunnel (NULL: not checked), texts its summary
 * and fix hold, texts the summary must not hold, a text its first evidence line holds, and a
 * text some evidence line holds (from input ev_input, 1-based; 0: any input). */
struct expect {
	const char *cls;
	const char *tunnel;
	const char *summary[3];
	const char *not_summary[1];
	const char *fix[2];
	const char *first_evidence;
	const char *evidence;
	unsigned ev_input;
};

/* A case: one or two logs, given as text (written to temporary files) or as files of the
 * corpus; the verdicts expected, most important first, and how many tunnels stay undecided
 * (-1: not checked). Every case's evidence must be real lines of its inputs. */
struct log_case {
	const char *what;
	const char *text[2];
	const char *file[2];
	size_t n;
	struct expect v[2];
	int undecided;
};

/* Lines from lab/merged_dual_stack/a.log (IKEv2, an IPv4 and an IPv6 phase 2 merged into one
 * child over IPv6 gateways): charon logs every (configured, received) selector pair of a round,
 * most of them "no match". A round is a mismatch only when no pair matches. */
#define TS_HEAD \
	"Nov 29 17:22:02 12[IKE] <con1|1> IKE_SA con1[1] established between 2001:db8::1[2001:db8::1]...2001:db8::2[2001:db8::2]\n" \
	"Nov 29 17:22:02 12[CFG] <con1|1> selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ\n" \
	"Nov 29 17:22:02 12[CFG] <con1|1> selecting traffic selectors for us:\n" \
	"Nov 29 17:22:02 12[CFG] <con1|1>  config: 10.1.0.0/24, received: 10.1.0.0/24 => match: 10.1.0.0/24\n" \
	"Nov 29 17:22:02 12[CFG] <con1|1>  config: 10.1.0.0/24, received: fd00:1::/64 => no match\n" \
	"Nov 29 17:22:02 12[CFG] <con1|1>  config: fd00:1::/64, received: 10.1.0.0/24 => no match\n" \
	"Nov 29 17:22:02 12[CFG] <con1|1>  config: fd00:1::/64, received: fd00:1::/64 => match: fd00:1::/64\n" \
	"Nov 29 17:22:02 12[CFG] <con1|1> selecting traffic selectors for other:\n"

/* DPD off: our SA stays up while the peer's charon restarts (b_late) or restarted before
 * our SA came up (b_early, harmless). */
#define DPD_OFF_A \
	"Nov 29 10:00:00 09[IKE] <con1|1> initiating IKE_SA con1[1] to 192.0.2.2\n" \
	"Nov 29 10:00:01 10[IKE] <con1|1> IKE_SA con1[1] established between 192.0.2.1[192.0.2.1]...192.0.2.2[192.0.2.2]\n" \
	"Nov 29 10:20:00 05[CFG] vici client 9 connected\n"

/* The v6 KE refusals of con4 (strongSwan 6 wording: key exchange method, not DH group). */
#define V6_KE_HEAD \
	"Nov 29 10:00:00 09[IKE] <con4|3> initiating IKE_SA con4[3] to 198.51.100.7\n" \
	"Nov 29 10:00:00 10[IKE] <con4|3> peer didn't accept key exchange method ECP_256, it requested MODP_3072\n" \
	"Nov 29 10:00:00 10[IKE] <con4|3> initiating IKE_SA con4[3] to 198.51.100.7\n"

static const struct log_case log_cases[] = {
	{ .what = "gave up: up, lost, re-establishing gave up, the log goes on longer than "
		  "DOCTOR_GAVE_UP_SECS without a new attempt",
	  .text = { "Nov 29 10:00:00 09[IKE] <con2|1> initiating IKE_SA con2[1] to 192.0.2.9\n"
		    "Nov 29 10:00:01 10[IKE] <con2|1> IKE_SA con2[1] established between 192.0.2.1[192.0.2.1]...192.0.2.9[192.0.2.9]\n"
		    "Nov 29 11:00:00 11[IKE] <con2|1> retransmit 1 of request with message ID 9\n"
		    "Nov 29 11:00:08 11[IKE] <con2|1> giving up after 5 retransmits\n"
		    "Nov 29 11:00:08 11[IKE] <con2|2> initiating IKE_SA con2[2] to 192.0.2.9\n"
		    "Nov 29 11:00:09 11[IKE] <con2|2> retransmit 1 of request with message ID 0\n"
		    "Nov 29 11:02:00 11[IKE] <con2|2> giving up after 5 retransmits\n"
		    "Nov 29 11:02:00 11[IKE] <con2|2> establishing IKE_SA failed, peer not responding\n"
		    "Nov 29 12:30:00 05[CFG] vici client 7 connected\n" },
	  .n = 1,
	  .v = { { .cls = "gave_up", .summary = { "goes on 5280 s after it without a new attempt" },
		   .fix = { "tunnels.2.phase2.M.keepalive" } } },
	  .undecided = -1 },
	{ .what = "stops trying (recorded in the lab): A gave up while B's charon was stopped, B came "
		  "back and nothing retried; B's start line is evidence",
	  .file = { "tests/data/scenarios/gave_up/a.log", "tests/data/scenarios/gave_up/b.log" },
	  .n = 1,
	  .v = { { .cls = "gave_up", .summary = { "the peer is back since " },
		   .evidence = "Starting IKE charon daemon", .ev_input = 2 } },
	  .undecided = -1 },
	{ .what = "a JSON line (journalctl -o json): the summary quotes the message, the evidence is the line",
	  .text = { "{\"MESSAGE\":\"tried 1 shared key for '10.99.0.2' - '10.99.0.1', "
		    "but MAC mismatched\",\"IKE_SA_NAME\":\"con1\",\"IKE_SA_UNIQUE_ID\":\"1\"}\n" },
	  .n = 1,
	  .v = { { .cls = "psk_mismatch", .summary = { "but MAC mismatched\"." },
		   .not_summary = { "IKE_SA_NAME" }, .first_evidence = "IKE_SA_NAME" } },
	  .undecided = -1 },
	{ .what = "strongSwan 6 wording: two KE refusals in a row are a loop",
	  .text = { V6_KE_HEAD
		    "Nov 29 10:00:01 11[IKE] <con4|3> peer didn't accept key exchange method MODP_3072, it requested ECP_256\n"
		    "Nov 29 10:00:01 11[IKE] <con4|3> IKE_SA con4[3] state change: CONNECTING => DESTROYING\n" },
	  .n = 1,
	  .v = { { .cls = "dh_group_mismatch", .fix = { "tunnels.4.proposals.1.dh_group" } } },
	  .undecided = -1 },
	{ .what = "strongSwan 6 wording: one KE refusal followed by success is harmless",
	  .text = { V6_KE_HEAD
		    "Nov 29 10:00:01 11[IKE] <con4|3> IKE_SA con4[3] established between 192.0.2.1[192.0.2.1]...198.51.100.7[198.51.100.7]\n"
		    "Nov 29 10:00:01 11[IKE] <con4|3> CHILD_SA con4{1} established with SPIs c1_i c2_o and TS 10.1.0.0/24 === 10.4.0.0/24\n" },
	  .n = 1,
	  .v = { { .cls = "healthy", .summary = { "INVALID_KE_PAYLOAD" } } },
	  .undecided = -1 },
	{ .what = "a log that starts at a CHILD_SA rekey (probe's capture, the peer's PFS off): the "
		  "rekey shows a CHILD_SA was up, so the refusal is the PFS group's",
	  .text = { "Dec  6 19:52:28 07[CFG] <con1|1> configured proposals: ESP:AES_GCM_16_128/MODP_2048/NO_EXT_SEQ, ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ\n"
		    "Dec  6 19:52:28 07[CHD] <con1|1> CHILD_SA con1{1} state change: INSTALLED => REKEYING\n"
		    "Dec  6 19:52:28 07[ENC] <con1|1> generating CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No KE TSi TSr ]\n"
		    "Dec  6 19:52:28 06[ENC] <con1|1> parsed CREATE_CHILD_SA response 2 [ N(NO_PROP) ]\n"
		    "Dec  6 19:52:28 06[IKE] <con1|1> received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built\n"
		    "Dec  6 19:52:28 06[CFG] <con1|1> configured proposals: ESP:AES_GCM_16_128/MODP_2048/NO_EXT_SEQ, ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ\n"
		    "Dec  6 19:52:28 06[IKE] <con1|1> failed to establish CHILD_SA, keeping IKE_SA\n"
		    "Dec  6 19:52:28 06[IKE] <con1|1> CHILD_SA rekeying failed, trying again in 11 seconds\n"
		    "Dec  6 19:52:28 06[CHD] <con1|1> CHILD_SA con1{1} state change: REKEYING => INSTALLED\n"
		    "Dec  6 19:52:28 06[CHD] <con1|1> CHILD_SA con1{2} state change: CREATED => DESTROYING\n" },
	  .n = 1,
	  .v = { { .cls = "pfs_mismatch", .fix = { "pfs_group" } } },
	  .undecided = -1 },
	{ .what = "two tunnels interleaved without ike_name: a verdict each, the failing one first",
	  .text = { "Nov 29 10:00:00 09[IKE] initiating IKE_SA con1[1] to 192.0.2.9\n"
		    "Nov 29 10:00:00 10[IKE] initiating IKE_SA con2[2] to 198.51.100.7\n"
		    "Nov 29 10:00:01 11[IKE] IKE_SA con1[1] established between 192.0.2.1[192.0.2.1]...192.0.2.9[192.0.2.9]\n"
		    "Nov 29 10:00:02 10[IKE] IKE_SA con2[2] state change: CONNECTING => CONNECTING\n"
		    "Nov 29 10:00:02 10[IKE] received AUTHENTICATION_FAILED notify error\n"
		    "Nov 29 10:00:02 10[IKE] IKE_SA con2[2] state change: CONNECTING => DESTROYING\n" },
	  .n = 2,
	  .v = { { .cls = "auth_failed", .tunnel = "con2" }, { .cls = "healthy", .tunnel = "con1" } },
	  .undecided = -1 },
	{ .what = "charon restarted mid-log: unique id 1 of the new charon is another SA, the old "
		  "failure does not leak into the new success",
	  .text = { "Nov 29 10:00:00 09[IKE] <con1|1> initiating IKE_SA con1[1] to 192.0.2.9\n"
		    "Nov 29 10:00:01 10[IKE] <con1|1> received AUTHENTICATION_FAILED notify error\n"
		    "Nov 29 10:05:00 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64)\n"
		    "Nov 29 10:05:01 09[IKE] <con1|1> initiating IKE_SA con1[1] to 192.0.2.9\n"
		    "Nov 29 10:05:02 11[IKE] <con1|1> IKE_SA con1[1] established between 192.0.2.1[192.0.2.1]...192.0.2.9[192.0.2.9]\n" },
	  .n = 1,
	  .v = { { .cls = "healthy", .summary = { "after 1 failed attempt" } } },
	  .undecided = -1 },
	{ .what = "IKEv1 DPD: charon says so itself when the peer stops answering",
	  .text = { "Nov 29 10:00:00 09[IKE] <con5|4> initiating Main Mode IKE_SA con5[4] to 203.0.113.5\n"
		    "Nov 29 10:00:01 11[IKE] <con5|4> IKE_SA con5[4] established between 192.0.2.1[192.0.2.1]...203.0.113.5[203.0.113.5]\n"
		    "Nov 29 10:05:00 12[IKE] <con5|4> sending DPD request\n"
		    "Nov 29 10:05:30 13[JOB] <con5|4> DPD check timed out, enforcing DPD action\n"
		    "Nov 29 10:05:30 13[IKE] <con5|4> deleting IKE_SA con5[4] between 192.0.2.1[192.0.2.1]...203.0.113.5[203.0.113.5]\n" },
	  .n = 1,
	  .v = { { .cls = "dpd_timeout", .fix = { "tunnels.5.dpd_delay" } } },
	  .undecided = -1 },
	{ .what = "a peer's DELETE is no failure",
	  .text = { "Nov 29 10:00:00 09[IKE] <con5|4> initiating IKE_SA con5[4] to 203.0.113.5\n"
		    "Nov 29 10:00:01 11[IKE] <con5|4> IKE_SA con5[4] established between 192.0.2.1[192.0.2.1]...203.0.113.5[203.0.113.5]\n"
		    "Nov 29 10:04:59 12[IKE] <con5|4> closing CHILD_SA con5{7} with SPIs c1a2b3c4_i (1200 bytes) c5d6e7f8_o (800 bytes) and TS 10.1.0.0/24 === 10.5.0.0/24\n"
		    "Nov 29 10:05:00 12[IKE] <con5|4> received DELETE for IKE_SA con5[4]\n"
		    "Nov 29 10:05:00 12[IKE] <con5|4> deleting IKE_SA con5[4] between 192.0.2.1[192.0.2.1]...203.0.113.5[203.0.113.5]\n" },
	  .n = 1,
	  .v = { { .cls = "healthy", .summary = { "peer closed it", "1200 bytes in, 800 bytes out" } } },
	  .undecided = -1 },
	{ .what = "an ID mismatch's summary names both identities (log and the responder's config dump)",
	  .file = { LOGDIR "lab/id_mismatch/b.log" },
	  .n = 1,
	  .v = { { .cls = "id_mismatch",
		   .summary = { "sent its identity as 'gw-a.example.org'",
				"con1 expects the peer as 'gw-other.example.org'" },
		   .fix = { "tunnels.1.remote_id" } } },
	  .undecided = -1 },
	{ .what = "a proposal mismatch's summary names both sides' transforms",
	  .file = { LOGDIR "lab/ike_proposal_mismatch/b.log" },
	  .n = 1,
	  .v = { { .cls = "ike_proposal_mismatch",
		   .summary = { "the initiator 10.99.0.1 offers AES_CBC_256/",
				"the responder 10.99.0.2 accepts only AES_CBC_128/",
				"encryption (AES_CBC_256 vs AES_CBC_128)" } } },
	  .undecided = -1 },
	{ .what = "a log that ends in the middle of an attempt: unknown for that tunnel, saying so",
	  .text = { "Nov 29 10:00:00 09[IKE] <con1|1> initiating IKE_SA con1[1] to 192.0.2.9\n" },
	  .n = 1,
	  .v = { { .cls = "unknown", .tunnel = "con1", .summary = { "outcome is not in the log" } } },
	  .undecided = 1 },
	{ .what = "DPD off, both logs: the peer's charon restarted while our SA stayed up",
	  .text = { DPD_OFF_A,
		    "Nov 29 10:00:01 11[IKE] <con1|1> IKE_SA con1[1] established between 192.0.2.2[192.0.2.2]...192.0.2.1[192.0.2.1]\n"
		    "Nov 29 10:05:00 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64)\n" },
	  .n = 1,
	  .v = { { .cls = "dpd_timeout", .summary = { "restarted" }, .evidence = "Starting IKE charon daemon" } },
	  .undecided = -1 },
	{ .what = "DPD off, both logs: a peer restart before our SA came up is harmless",
	  .text = { DPD_OFF_A,
		    "Nov 29 09:59:00 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64)\n"
		    "Nov 29 10:00:01 11[IKE] <con1|1> IKE_SA con1[1] established between 192.0.2.2[192.0.2.2]...192.0.2.1[192.0.2.1]\n" },
	  .n = 1,
	  .v = { { .cls = "healthy" } },
	  .undecided = -1 },
	{ .what = "a DPD timeout under heavy traffic (a lab run under a flood ping): the closed "
		  "CHILD_SAs' byte counts name the load, dpd_delay is the fix",
	  .file = { LOGDIR "lab/dpd_timeout_traffic/b.log" },
	  .n = 1,
	  .v = { { .cls = "dpd_timeout",
		   .summary = { "17749836 bytes in", "coincides with heavy traffic", "raise dpd_delay" },
		   .evidence = "closing CHILD_SA con1{1} with SPIs" } },
	  .undecided = -1 },
	{ .what = "a DPD timeout without byte counts: the log cannot tell, and how to check",
	  .file = { LOGDIR "lab/dpd_timeout/a.log" },
	  .n = 1,
	  .v = { { .cls = "dpd_timeout", .summary = { "cannot be told", "tunnelctl status" },
		   .not_summary = { "heavy traffic" } } },
	  .undecided = -1 },
	{ .what = "DPD off, the peer expired its SA and its DELETE was lost (a lab run): named as "
		  "such, DPD or keep-alive as the fix",
	  .file = { LOGDIR "lab/peer_expired_dpd_off/a.log", LOGDIR "lab/peer_expired_dpd_off/b.log" },
	  .n = 1,
	  .v = { { .cls = "dpd_timeout",
		   .summary = { "one side expired the tunnel while the other kept sending", "DELETE never arrived" },
		   .fix = { "tunnels.1.dpd_delay", "keepalive" },
		   .evidence = "deleting IKE_SA con1[1]" } },
	  .undecided = -1 },
	{ .what = "the same, the peer's log alone: its unanswered request was its own DELETE",
	  .file = { LOGDIR "lab/peer_expired_dpd_off/b.log" },
	  .n = 1,
	  .v = { { .cls = "dpd_timeout", .summary = { "this side's DELETE" } } },
	  .undecided = -1 },
	{ .what = "traffic selectors: every round has a matching pair",
	  .text = { TS_HEAD
		    "Nov 29 17:22:02 12[CFG] <con1|1>  config: 10.2.0.0/24, received: 10.2.0.0/24 => match: 10.2.0.0/24\n"
		    "Nov 29 17:22:02 12[CFG] <con1|1>  config: 10.2.0.0/24, received: fd00:2::/64 => no match\n"
		    "Nov 29 17:22:02 12[CFG] <con1|1>  config: fd00:2::/64, received: 10.2.0.0/24 => no match\n"
		    "Nov 29 17:22:02 12[CFG] <con1|1>  config: fd00:2::/64, received: fd00:2::/64 => match: fd00:2::/64\n"
		    "Nov 29 17:22:02 12[IKE] <con1|1> CHILD_SA con1{1} established with SPIs b765c326_i d9748f69_o and TS 10.1.0.0/24 fd00:1::/64 === 10.2.0.0/24 fd00:2::/64\n" },
	  .n = 1,
	  .v = { { .cls = "healthy", .tunnel = "con1" } },
	  .undecided = -1 },
	{ .what = "traffic selectors: the second round's matching pairs left out",
	  .text = { TS_HEAD
		    "Nov 29 17:22:02 12[CFG] <con1|1>  config: 10.2.0.0/24, received: fd00:2::/64 => no match\n"
		    "Nov 29 17:22:02 12[CFG] <con1|1>  config: fd00:2::/64, received: 10.2.0.0/24 => no match\n" },
	  .n = 1,
	  .v = { { .cls = "ts_mismatch", .evidence = "=> no match" } },
	  .undecided = -1 },
	{ .what = "traffic selectors: a later round (a rekey's) that matches does not hide a failed one",
	  .text = { TS_HEAD
		    "Nov 29 17:22:02 12[CFG] <con1|1>  config: 10.2.0.0/24, received: fd00:2::/64 => no match\n"
		    "Nov 29 17:22:02 12[CFG] <con1|1> selecting traffic selectors for us:\n"
		    "Nov 29 17:22:02 12[CFG] <con1|1>  config: 10.1.0.0/24, received: 10.1.0.0/24 => match: 10.1.0.0/24\n" },
	  .n = 1,
	  .v = { { .cls = "ts_mismatch" } },
	  .undecided = -1 },
	{ .what = "traffic selectors in journal messages: the reader trims a body's leading blank, "
		  "the pairs still count",
	  .text = { "MESSAGE=IKE_SA con1[1] established between 2001:db8::1[2001:db8::1]...2001:db8::2[2001:db8::2]\n"
		    "MESSAGE=selecting traffic selectors for us:\n"
		    "MESSAGE= config: 10.1.0.0/24, received: fd00:1::/64 => no match\n"
		    "MESSAGE= config: fd00:1::/64, received: fd00:1::/64 => match: fd00:1::/64\n"
		    "MESSAGE=CHILD_SA con1{1} established with SPIs b765c326_i d9748f69_o and TS 10.1.0.0/24 fd00:1::/64 === 10.2.0.0/24 fd00:2::/64\n" },
	  .n = 1,
	  .v = { { .cls = "healthy" } },
	  .undecided = -1 },
};

#undef TS_HEAD
#undef DPD_OFF_A
#undef V6_KE_HEAD

/* Does some evidence line of v hold text (from input in, 1-based; 0: any)? */
static bool evidence_holds(const struct doctor_verdict *v, const char *text, unsigned in)
{
	for (size_t k = 0; k < v->n_ev; k++)
		if ((in == 0 || v->ev[k].input == in - 1) && strstr(v->ev[k].text, text))
			return true;
	return false;
}

/* Check one verdict against its expectation; what names the case in a failure. */
static void check_verdict(const char *what, const struct doctor_verdict *v, const struct expect *e)
{
	if (strcmp(doctor_class_names[v->cls], e->cls) != 0)
		fail_msg("%s: class %s, expected %s", what, doctor_class_names[v->cls], e->cls);
	if (e->tunnel && strcmp(v->tunnel, e->tunnel) != 0)
		fail_msg("%s: tunnel %s, expected %s", what, v->tunnel, e->tunnel);
	for (size_t i = 0; i < ARRAY_SIZE(e->summary) && e->summary[i]; i++)
		if (!strstr(v->summary, e->summary[i]))
			fail_msg("%s: summary lacks '%s': %s", what, e->summary[i], v->summary);
	for (size_t i = 0; i < ARRAY_SIZE(e->not_summary) && e->not_summary[i]; i++)
		if (strstr(v->summary, e->not_summary[i]))
			fail_msg("%s: summary holds '%s': %s", what, e->not_summary[i], v->summary);
	for (size_t i = 0; i < ARRAY_SIZE(e->fix) && e->fix[i]; i++)
		if (!strstr(v->fix, e->fix[i]))
			fail_msg("%s: fix lacks '%s': %s", what, e->fix[i], v->fix);
	if (e->first_evidence && (v->n_ev == 0 || !strstr(v->ev[0].text, e->first_evidence)))
		fail_msg("%s: the first evidence line lacks '%s'", what, e->first_evidence);
	if (e->evidence && !evidence_holds(v, e->evidence, e->ev_input))
		fail_msg("%s: no evidence line holds '%s'", what, e->evidence);
}

static void test_log_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(log_cases); c++) {
		const struct log_case *lc = &log_cases[c];
		char *files[2] = { NULL, NULL };
		const struct doctor_verdict *v;
		size_t n_files = 0, n;

		for (; n_files < 2 && (lc->text[n_files] || lc->file[n_files]); n_files++)
			files[n_files] = lc->text[n_files] ? temp_with(lc->text[n_files], strlen(lc->text[n_files]))
							   : xstrdup(lc->file[n_files]);
		struct doctor *d = run(files, n_files, &v, &n);
		if (n != lc->n)
			fail_msg("%s: %zu verdicts, expected %zu", lc->what, n, lc->n);
		for (size_t i = 0; i < n; i++)
			check_verdict(lc->what, &v[i], &lc->v[i]);
		if (lc->undecided >= 0)
			assert_int_equal(doctor_undecided(d), lc->undecided);
		assert_evidence_real(d, v, n);
		doctor_free(d);
		for (size_t i = 0; i < n_files; i++) {
			if (lc->text[i])
				unlink(files[i]);
			free(files[i]);
		}
	}
}

/* Standard input that is a pipe is spooled, so a newest-first stream is still reversed. */
static void test_stdin_pipe_newest_first(void **state)
{
	static const char rev[] =
		"Nov 29 10:00:09 10[IKE] <con1|1> establishing IKE_SA failed, peer not responding\n"
		"Nov 29 10:00:09 10[IKE] <con1|1> giving up after 2 retransmits\n"
		"Nov 29 10:00:04 10[IKE] <con1|1> retransmit 2 of request with message ID 0\n"
		"Nov 29 10:00:01 10[IKE] <con1|1> retransmit 1 of request with message ID 0\n"
		"Nov 29 10:00:00 09[IKE] <con1|1> initiating IKE_SA con1[1] to 192.0.2.9\n";
	const struct doctor_verdict *v;
	int fds[2], saved = dup(STDIN_FILENO);
	size_t n;
	bool nf;
	(void)state;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], rev, sizeof(rev) - 1), (ssize_t)(sizeof(rev) - 1));
	close(fds[1]);
	assert_true(dup2(fds[0], STDIN_FILENO) >= 0);
	close(fds[0]);
	struct doctor *d = doctor_new();
	assert_int_equal(doctor_read_path(d, "-", &nf), 0);
	assert_true(dup2(saved, STDIN_FILENO) >= 0);
	close(saved);
	assert_true(nf);
	n = doctor_finish(d, &v);
	assert_int_equal(n, 1);
	assert_string_equal(doctor_class_names[v[0].cls], "peer_unreachable");
	assert_string_equal(doctor_input_label(d, v[0].ev[0].input), "(stdin)");
	/* line numbers are the stream's own: "initiating" is its 5th line, the give-up its 1st */
	bool seen_init = false;
	for (size_t k = 0; k < v[0].n_ev; k++) {
		if (strstr(v[0].ev[k].text, "initiating IKE_SA")) {
			assert_int_equal(v[0].ev[k].line, 5);
			seen_init = true;
		}
		if (strstr(v[0].ev[k].text, "peer not responding"))
			assert_int_equal(v[0].ev[k].line, 1);
	}
	assert_true(seen_init);
	doctor_free(d);
}

/* More IKE SAs open at once than DOCTOR_MAX_SAS: the oldest are judged early and their later
 * lines start fresh records; the verdicts stay right and nothing leaks. */
static void test_more_sas_than_tracked(void **state)
{
	const unsigned n_sa = DOCTOR_MAX_SAS + DOCTOR_MAX_SAS / 2;
	const struct doctor_verdict *v;
	struct buf b;
	size_t n;
	(void)state;

	buf_init(&b);
	for (unsigned i = 1; i <= n_sa; i++)
		buf_printf(&b, "Nov 29 10:00:00 09[IKE] <con%u|%u> initiating IKE_SA con%u[%u] to 192.0.2.%u\n",
			   i % 3 + 1, i, i % 3 + 1, i, i % 3 + 1);
	for (unsigned i = 1; i <= n_sa; i++)
		buf_printf(&b, "Nov 29 10:00:01 10[IKE] <con%u|%u> IKE_SA con%u[%u] established between "
			       "192.0.2.100[192.0.2.100]...192.0.2.%u[192.0.2.%u]\n",
			   i % 3 + 1, i, i % 3 + 1, i, i % 3 + 1, i % 3 + 1);
	/* the last SA of con2 fails late */
	buf_printf(&b, "Nov 29 10:00:02 11[IKE] <con2|%u> received AUTHENTICATION_FAILED notify error\n",
		   n_sa - (n_sa % 3 == 1 ? 0 : n_sa % 3 == 2 ? 1 : 2));
	struct doctor *d = run_text(b.data, &v, &n);
	assert_int_equal(n, 3);
	assert_string_equal(doctor_class_names[v[0].cls], "auth_failed");
	assert_string_equal(v[0].tunnel, "con2");
	assert_string_equal(doctor_class_names[v[1].cls], "healthy");
	assert_string_equal(doctor_class_names[v[2].cls], "healthy");
	doctor_free(d);
	buf_free(&b);
}

/* A peer that stays away while something keeps retrying (tunnelctl daemon's backoff) is
 * peer_unreachable, not gave_up: the log may end between two retries. Only a silence longer
 * than the longest backoff after the last attempt says nothing retries any more. */
static void test_retrying_is_not_gave_up(void **state)
{
	struct buf b;
	const struct doctor_verdict *v;
	size_t n;
	(void)state;

	buf_init(&b);
	buf_adds(&b, "Nov 29 10:00:00 09[IKE] <con3|1> initiating IKE_SA con3[1] to 192.0.2.9\n"
		     "Nov 29 10:00:01 10[IKE] <con3|1> IKE_SA con3[1] established between 192.0.2.1[192.0.2.1]...192.0.2.9[192.0.2.9]\n");
	for (unsigned i = 2; i <= 4; i++)
		buf_printf(&b, "Nov 29 10:%02u:00 09[IKE] <con3|%u> initiating IKE_SA con3[%u] to 192.0.2.9\n"
			       "Nov 29 10:%02u:01 09[IKE] <con3|%u> retransmit 1 of request with message ID 0\n"
			       "Nov 29 10:%02u:09 09[IKE] <con3|%u> giving up after 1 retransmits\n",
			   i, i, i, i, i, i, i);
	buf_adds(&b, "Nov 29 10:04:40 05[CFG] vici client 9 connected\n");
	struct doctor *d = run_text(b.data, &v, &n);
	assert_int_equal(n, 1);
	assert_string_equal(doctor_class_names[v[0].cls], "peer_unreachable");
	doctor_free(d);

	/* the same, then twenty minutes without another attempt */
	buf_adds(&b, "Nov 29 10:25:00 05[CFG] vici client 10 connected\n");
	d = run_text(b.data, &v, &n);
	assert_int_equal(n, 1);
	assert_string_equal(doctor_class_names[v[0].cls], "gave_up");
	assert_non_null(strstr(v[0].summary, "peer_unreachable"));
	doctor_free(d);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_real_corpus),
		cmocka_unit_test(test_lab_scenarios),
		cmocka_unit_test(test_newest_first),
		cmocka_unit_test(test_junk_tolerated),
		cmocka_unit_test(test_input_errors),
		cmocka_unit_test(test_log_cases),
		cmocka_unit_test(test_stdin_pipe_newest_first),
		cmocka_unit_test(test_more_sas_than_tracked),
		cmocka_unit_test(test_retrying_is_not_gave_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
