/* cmd_logs.c - `tunnelctl logs [-f] [NAME] [--since T]`: charon's log, filtered to a tunnel. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "cmd.h"
#include "compile.h"
#include "doctor_log.h"
#include "naming.h"
#include "tunnel.h"
#include "vici_client.h"

#define LOGS_VICI_TIMEOUT_MS 5000
#define LOGS_WAIT_MS 1000	/* -f: wake up this often to notice Ctrl-C */
#define LOGS_MAX_LINE (64u * 1024u)	/* a longer line in a log file is refused, not grown into */

struct logs_args {
	bool follow, journal;
	unsigned long long since;	/* seconds; 0: all */
	const char *file;
};

static const struct opt_def logs_opts[] = {
	{ .name = "follow", .short_name = 'f', OPT_FLAG(struct logs_args, follow),
	  .help = "after the existing lines, follow new ones live from charon over VICI",
	  .more = "(log events), until Ctrl-C" },
	{ .name = "since", OPT_DURATION(struct logs_args, since, "DURATION", 1, 100LL * 365 * 86400),
	  .help = "only lines from the last DURATION (30s, 10m, 2h, 1d)" },
	{ .name = "file", OPT_STRING(struct logs_args, file, "PATH"), .help = "read this log file instead" },
	{ .name = "journal", OPT_FLAG(struct logs_args, journal), .help = "read the systemd journal instead of a file" },
	{ .name = NULL },
};

const struct opt_spec cmd_logs_spec = {
	.operands = "at most one tunnel NAME",
	.max_operands = 1,
	.verb = "logs",
	.usage =
		"usage: tunnelctl logs [-f] [--since DURATION] [--file PATH] [--journal] [NAME]\n",
	.about =
		"Print charon's log, only the lines of one tunnel when NAME is given (conN, conN_M, the\n"
		"phase 1 description or N): lines of the IKE SA conN and lines naming the child SA.\n"
		"\n"
		"The log is the file charon writes with tunnelctl's settings (" COMPILE_CHARON_LOG ", under\n"
		"--out-dir when that is moved); when there is no such file, the systemd journal\n"
		"(SYSLOG_IDENTIFIER=charon).\n",
	.opts = logs_opts,
	.tail =
		"exit status: 0 ok, 1 the log cannot be read or charon cannot be followed, 2 usage error\n"
		"             or a log line longer than 64 KiB\n"
		"\n"
		"examples:\n"
		"  tunnelctl logs con1 --since 1h\n"
		"  tunnelctl logs -f con2_5\n",
};

static volatile sig_atomic_t logs_stop;

static void on_signal(int sig)
{
	(void)sig;
	logs_stop = 1;
}

/* What to keep: everything, or one IKE SA name and optionally a child name. */
struct logs_filter {
	char ike[NAMING_MAX];	/* "" = no filter */
	char child[NAMING_MAX];
	int64_t since;		/* comparable with doctor_line.time; 0 = no limit */
};

/* True when text (len bytes) holds word as a whole token (not part of con12 for con1). */
static bool has_token(const char *text, size_t len, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = text; wl && (size_t)(p - text) + wl <= len; p++) {
		if (memcmp(p, word, wl) != 0)
			continue;
		char before = p > text ? p[-1] : ' ', after = (size_t)(p - text) + wl < len ? p[wl] : ' ';
		bool ib = (before >= 'a' && before <= 'z') || (before >= '0' && before <= '9') || before == '_';
		bool ia = (after >= 'a' && after <= 'z') || (after >= '0' && after <= '9') || after == '_';
		if (!ib && !ia)
			return true;
	}
	return false;
}

static bool keep_line(const struct logs_filter *f, const char *line, size_t len)
{
	struct doctor_line l;

	if (doctor_log_parse(line, len, &l) != 0)
		return false;
	if (f->since && l.has_time && l.time < f->since)
		return false;
	if (!f->ike[0])
		return true;
	if (l.name && l.name_len == strlen(f->ike) && memcmp(l.name, f->ike, l.name_len) == 0 &&
	    (!f->child[0] || strcmp(f->child, f->ike) == 0))
		return true;
	return has_token(l.msg, l.msg_len, f->child[0] ? f->child : f->ike);
}

/* The time DURATION ago, on the scale doctor_log_parse gives filelog stamps ("Nov 29 15:00:00"). */
static int64_t since_time(unsigned long long seconds)
{
	time_t t = time(NULL) - (time_t)seconds;
	struct doctor_line l;
	char line[64];
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(line, sizeof(line), "%b %e %T 00[IKE] x", &tm);
	if (doctor_log_parse(line, strlen(line), &l) != 0 || !l.has_time)
		return 0;
	return l.time;
}

/* Print the kept lines of a log file. 0, -EFBIG with *bad_line when a line is longer than
 * LOGS_MAX_LINE (bounded memory whatever the file holds), or -errno when it cannot be read. */
static int print_file(const char *path, const struct logs_filter *f, unsigned long *bad_line)
{
	FILE *in = fopen(path, "r");
	char *line = xmalloc(LOGS_MAX_LINE + 1);
	unsigned long lineno = 1;
	size_t len = 0;
	int c, rc = 0;

	if (!in) {
		rc = -errno;
		goto out;
	}
	while ((c = getc_unlocked(in)) != EOF) {
		if (c != '\n' && len == LOGS_MAX_LINE) {
			*bad_line = lineno;
			rc = -EFBIG;
			goto out;
		}
		line[len++] = (char)c;
		if (c != '\n')
			continue;
		if (keep_line(f, line, len > DOCTOR_MAX_LINE ? DOCTOR_MAX_LINE : len))
			fwrite(line, 1, len, stdout);
		len = 0;
		lineno++;
	}
	if (ferror(in)) {
		rc = -EIO;
		goto out;
	}
	if (len && keep_line(f, line, len > DOCTOR_MAX_LINE ? DOCTOR_MAX_LINE : len))
		fwrite(line, 1, len, stdout);
out:
	if (in)
		fclose(in);
	free(line);
	return rc;
}

static int print_journal(const struct logs_filter *f, unsigned long long since)
{
	sd_journal *j;
	int rc = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);

	if (rc < 0)
		return rc;
	sd_journal_add_match(j, "SYSLOG_IDENTIFIER=charon", 0);
	if (since)
		sd_journal_seek_realtime_usec(j, ((uint64_t)time(NULL) - since) * 1000000ULL);
	SD_JOURNAL_FOREACH(j) {
		const void *data;
		size_t len;
		if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < 8)
			continue;
		const char *msg = (const char *)data + 8;	/* after "MESSAGE=" */
		if (keep_line(f, msg, len - 8)) {
			fwrite(msg, 1, len - 8, stdout);
			putchar('\n');
		}
	}
	sd_journal_close(j);
	return 0;
}

/* -f: charon's VICI log events, printed like filelog lines. */
static int follow(const struct tc_ctx *ctx, const struct logs_filter *f)
{
	struct vici_client *vc = NULL;
	char *err = NULL;
	int rc;

	rc = vici_client_connect(ctx->vici, LOGS_VICI_TIMEOUT_MS, &vc, &err);
	if (rc == 0)
		rc = vici_client_register(vc, "log", LOGS_VICI_TIMEOUT_MS, &err);
	while (rc == 0 && !logs_stop) {
		struct vici_node *msg = NULL;
		char *name = NULL, line[DOCTOR_MAX_LINE], stamp[16];
		time_t now = time(NULL);
		struct tm tm;
		rc = vici_client_wait_event(vc, LOGS_WAIT_MS, &name, &msg, &err);
		if (rc == -ETIMEDOUT || rc == -EINTR) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %T", &tm);
		size_t l = vici_log_format(msg, stamp, line, sizeof(line) - 1);
		line[l++] = '\n';
		if (keep_line(f, line, l)) {
			fwrite(line, 1, l, stdout);
			fflush(stdout);
		}
		free(name);
		vici_node_free(msg);
	}
	if (rc != 0)
		cmd_err("logs", "%s", err ? err : strerror(-rc));
	free(err);
	vici_client_close(vc);
	return rc == 0 ? TC_EXIT_OK : TC_EXIT_FAIL;
}

/* Fill the name filter from NAME, through the tunnel file when it can be read. */
static int resolve_name(const struct tc_ctx *ctx, const char *name, struct logs_filter *f)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_load(ctx->conf, &errs);
	struct naming_target t;
	unsigned ikeid, reqid;
	int rc = 0;

	if (tf && naming_resolve(tf, name, &t) == 0) {
		snprintf(f->ike, sizeof(f->ike), "%s", t.ike);
		if (t.p2)
			snprintf(f->child, sizeof(f->child), "%s", t.child);
	} else if (tf) {
		cmd_err("logs", "no tunnel '%s' in %s (use conN, conN_M, a phase 1 description or N)", name, ctx->conf);
		rc = -1;
	} else if (naming_parse(name, &ikeid, &reqid)) {
		/* no tunnel file here (or not in it): the name still says which IKE SA */
		snprintf(f->child, sizeof(f->child), "%s", reqid ? name : "");
		snprintf(f->ike, sizeof(f->ike), "%.*s", (int)strcspn(name, "_"), name);
	} else {
		cmd_err("logs", "no tunnel '%s' (use conN, conN_M, a phase 1 description or N)", name);
		rc = -1;
	}
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	return rc;
}

int cmd_logs(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct logs_args a = { .since = 0 };
	struct logs_filter f = { .since = 0 };
	unsigned long long since;
	bool follow_mode, journal;
	unsigned long bad_line = 0;
	char *path;
	int c, rc;

	c = cmd_parse(&cmd_logs_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	if (c < argc && resolve_name(ctx, argv[c], &f) != 0)
		return TC_EXIT_USAGE;
	since = a.since;
	follow_mode = a.follow;
	journal = a.journal;
	path = a.file ? xstrdup(a.file) : NULL;
	if (since)
		f.since = since_time(since);

	if (!path && !journal)
		path = cmd_charon_log(ctx);
	rc = journal ? print_journal(&f, since) : print_file(path, &f, &bad_line);
	if (rc == -ENOENT && !journal && !follow_mode) {
		/* no file log on this system: charon logs to syslog/journal */
		rc = print_journal(&f, since);
	}
	if (rc == -EFBIG && !journal) {
		fflush(stdout);
		fprintf(stderr, "%s:%lu:1: line longer than %u bytes\n", path, bad_line, LOGS_MAX_LINE);
		free(path);
		return TC_EXIT_USAGE;
	}
	if (rc != 0 && !follow_mode) {
		cmd_err("logs", "cannot read %s: %s", journal || !path ? "the journal" : path, strerror(-rc));
		free(path);
		return TC_EXIT_FAIL;
	}
	free(path);
	fflush(stdout);
	if (!follow_mode)
		return TC_EXIT_OK;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return follow(ctx, &f);
}
