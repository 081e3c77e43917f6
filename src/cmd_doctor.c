/* cmd_doctor.c - `tunnelctl doctor`: name the root cause of failing tunnels from charon logs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "doctor_read.h"
#include "doctor_rules.h"
#include "json.h"
#include "util.h"

static const char help[] =
	"usage: tunnelctl doctor [--json] [--journal[=DIR]] [--since TIME] [LOG...|-]\n"
	"\n"
	"Read charon logs and name the root cause of each failing tunnel: the class, which\n"
	"side offers what, the log lines that prove it (FILE:LINE) and the tunnel-file key to\n"
	"change (with the pfSense GUI field). Give both sides' logs for the sharpest verdict.\n"
	"\n"
	"Accepted formats, detected per line and mixed freely: charon filelog (with or without\n"
	"ike_name, any time_format), syslog (charon[pid]:, ipsec[pid]:, charon:, RFC 3164 and\n"
	"5424, with or without NN[IKE]), pfSense/OPNsense ipsec.log and their GUI copies\n"
	"(newest-first is detected and read backwards), swanctl --initiate / ipsec up output,\n"
	"journalctl -o export/short/short-iso output. Files are streamed: memory stays bounded\n"
	"whatever their size. With no LOG, standard input is read unless it is a terminal.\n"
	"\n"
	"options:\n"
	"  --json            machine output: {\"verdicts\":[{\"class\",\"tunnel\",\"side\",\n"
	"                    \"summary\",\"evidence\":[{\"file\",\"line\",\"text\"}],\"fix\"}]},\n"
	"                    most important first\n"
	"  --journal[=DIR]   also read charon's entries from the systemd journal (or from the\n"
	"                    journal files in DIR); evidence is journal:N, the Nth charon entry\n"
	"  --since TIME      journal entries from TIME on: YYYY-MM-DD[ HH:MM[:SS]] (local time)\n"
	"                    or an age like 30m, 2h, 1d\n"
	"\n"
	"classes: healthy ike_proposal_mismatch dh_group_mismatch child_proposal_mismatch\n"
	"  pfs_mismatch ts_mismatch ts_narrowed psk_mismatch id_mismatch auth_failed cert_problem\n"
	"  no_ike_config peer_unreachable nat_t_blocked version_mismatch dpd_timeout rekey_failure\n"
	"  gave_up half_open kernel_failure unsupported_algorithm config_error unknown\n"
	"  (docs/doctor.md explains each one)\n"
	"\n"
	"exit status: 0 every tunnel seen is healthy (or none was seen), 1 a problem was found,\n"
	"2 usage or input error (missing, unreadable or directory LOG)\n"
	"\n"
	"examples:\n"
	"  tunnelctl doctor /var/log/charon.log\n"
	"  tunnelctl doctor a.log b.log            # both sides of a tunnel\n"
	"  journalctl -u strongswan -o short-iso | tunnelctl doctor --json -\n"
	"  tunnelctl doctor --journal --since 1h\n";

/* --since: an absolute local time or an age (30m, 2h, 1d); microseconds since the epoch. */
static int parse_since(const char *s, uint64_t *usec)
{
	static const char *const fmts[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					    "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	char *end;
	unsigned long long n = strtoull(s[0] == '-' ? s + 1 : s, &end, 10);
	struct tm tm;

	if (end != s && *end && !end[1] && strchr("smhd", *end)) {
		unsigned long long unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 86400;
		time_t now = time(NULL);
		if (n * unit > (unsigned long long)now)
			return -ERANGE;
		*usec = (uint64_t)(now - (time_t)(n * unit)) * 1000000u;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end && !*end) {
			tm.tm_isdst = -1;
			time_t t = mktime(&tm);
			if (t < 0)
				return -ERANGE;
			*usec = (uint64_t)t * 1000000u;
			return 0;
		}
	}
	return -EINVAL;
}

/* Valid UTF-8 copy of s: invalid bytes become '?'. Caller frees. */
static char *utf8_clean(const char *s)
{
	size_t n = strlen(s);
	char *o = xmalloc(n + 1);
	size_t i = 0, k = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = len > 0 && i + len <= n && !(len == 2 && c < 0xc2);
		for (size_t j = 1; ok && j < len; j++)
			ok = ((unsigned char)s[i + j] & 0xc0) == 0x80;
		if (ok && len == 3) {
			unsigned char c1 = (unsigned char)s[i + 1];
			ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
		}
		if (ok && len == 4) {
			unsigned char c1 = (unsigned char)s[i + 1];
			ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90) && c <= 0xf4;
		}
		if (!ok) {
			o[k++] = '?';
			i++;
			continue;
		}
		memcpy(o + k, s + i, len);
		k += len;
		i += len;
	}
	o[k] = '\0';
	return o;
}

static json_t *jstr(const char *s)
{
	char *c = utf8_clean(s);
	json_t *j = json_string(c);
	free(c);
	return j;
}

static void print_json(const struct doctor *d, const struct doctor_verdict *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *ev = json_array();
		for (size_t k = 0; k < v[i].n_ev; k++)
			json_array_append_new(ev, json_pack("{s:o, s:I, s:o}", "file",
							    jstr(doctor_input_label(d, v[i].ev[k].input)),
							    "line", (json_int_t)v[i].ev[k].line,
							    "text", jstr(v[i].ev[k].text)));
		json_array_append_new(a, json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}",
						   "class", doctor_class_names[v[i].cls],
						   "tunnel", jstr(v[i].tunnel), "side", v[i].side,
						   "summary", jstr(v[i].summary), "evidence", ev,
						   "fix", v[i].fix[0] ? jstr(v[i].fix) : json_null()));
	}
	json_write(stdout, json_pack("{s:o}", "verdicts", a));
}

static void print_human(const struct doctor *d, const struct doctor_verdict *v, size_t n,
			bool colour)
{
	const char *red = colour ? "\033[1;31m" : "", *green = colour ? "\033[1;32m" : "";
	const char *bold = colour ? "\033[1m" : "", *off = colour ? "\033[0m" : "";
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		bool ok = v[i].cls == DOCTOR_HEALTHY;
		bad += !ok;
		printf("%s%s%s: %s%s%s [%s] (%s)\n", bold, v[i].tunnel, off, ok ? green : red,
		       doctor_class_words[v[i].cls], off, doctor_class_names[v[i].cls],
		       strcmp(v[i].side, "both") == 0 ? "both sides" : v[i].side);
		printf("  %s\n", v[i].summary);
		for (size_t k = 0; k < v[i].n_ev; k++)
			printf("    %s:%lu: %s\n", doctor_input_label(d, v[i].ev[k].input),
			       v[i].ev[k].line, v[i].ev[k].text);
		if (v[i].fix[0])
			printf("  fix: %s\n", v[i].fix);
		printf("\n");
	}
	if (n == 0 && doctor_undecided(d))
		printf("no tunnel outcome in the logs: %zu IKE SA%s started without establishment or "
		       "failure (was the log cut short?)\n", doctor_undecided(d),
		       doctor_undecided(d) == 1 ? "" : "s");
	else if (n == 0)
		printf("no IKE activity found in the logs\n");
	else
		printf("%zu tunnel%s with a problem, %zu healthy\n", bad, bad == 1 ? "" : "s", n - bad);
}

int cmd_doctor(int argc, char **argv, const struct tc_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "journal", optional_argument, NULL, 'J' },
		{ "since", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	bool journal = false;
	const char *journal_dir = NULL;
	uint64_t since = 0;
	char dash[] = "-", *stdin_only[] = { dash, NULL };
	const struct doctor_verdict *v;
	struct doctor *d;
	bool json = false;
	int c, rc = TC_EXIT_OK;
	size_t n;
	char **logs;
	int n_logs;

	(void)ctx;
	if (cmd_wants_help(argc, argv, help))
		return TC_EXIT_OK;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'J':
			journal = true;
			journal_dir = optarg;
			break;
		case 's':
			if (parse_since(optarg, &since) < 0) {
				cmd_err("doctor", "--since: cannot read '%s' (YYYY-MM-DD[ HH:MM[:SS]] or 2h)",
					optarg);
				return TC_EXIT_USAGE;
			}
			break;
		default:
			return TC_EXIT_USAGE;
		}
	}
	if (since && !journal) {
		cmd_err("doctor", "--since applies to --journal only");
		return TC_EXIT_USAGE;
	}
	logs = argv + optind;
	n_logs = argc - optind;
	if (n_logs == 0 && !journal) {
		if (isatty(STDIN_FILENO)) {
			cmd_err("doctor", "no LOG given and standard input is a terminal (see --help)");
			return TC_EXIT_USAGE;
		}
		logs = stdin_only;
		n_logs = 1;
	}

	d = doctor_new();
	if (journal) {
		int err = doctor_read_journal(d, journal_dir, since);
		if (err) {
			cmd_err("doctor", "journal%s%s: %s", journal_dir ? " " : "",
				journal_dir ? journal_dir : "", strerror(-err));
			rc = TC_EXIT_USAGE;
		}
	}
	for (int i = 0; i < n_logs; i++) {
		bool newest_first;
		int err = doctor_read_path(d, logs[i], &newest_first);
		if (err) {
			cmd_err("doctor", "%s: %s", logs[i], strerror(-err));
			rc = TC_EXIT_USAGE;
		} else if (newest_first && !json) {
			fprintf(stderr, "tunnelctl doctor: %s is newest-first; reading it backwards\n",
				logs[i]);
		}
	}
	if (rc == TC_EXIT_OK) {
		n = doctor_finish(d, &v);
		if (json)
			print_json(d, v, n);
		else
			print_human(d, v, n, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
		for (size_t i = 0; i < n; i++)
			if (v[i].cls != DOCTOR_HEALTHY)
				rc = TC_EXIT_FAIL;
	}
	doctor_free(d);
	return rc;
}
