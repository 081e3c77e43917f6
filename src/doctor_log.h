/* doctor_log.h - charon log line parser: detect the format of one line and split it into
 * timestamp, thread, group, level, IKE SA name/unique id and message. Pure: no I/O. */
#ifndef TUNNELCTL_DOCTOR_LOG_H
#define TUNNELCTL_DOCTOR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line the doctor looks at; the reader cuts longer lines here and skips the rest. */
#define DOCTOR_MAX_LINE 8192

/* Where a line came from, as told by its prefix. */
enum doctor_fmt {
	DOCTOR_FMT_NONE,	/* empty or metadata only */
	DOCTOR_FMT_FILELOG,	/* charon filelog: [TIME ]NN[GRP][ <name|id>] msg */
	DOCTOR_FMT_SYSLOG,	/* RFC 3164: Mmm dd hh:mm:ss host charon[pid]: ... */
	DOCTOR_FMT_SYSLOG5424,	/* RFC 5424 / ISO stamp: [<pri>1 ]YYYY-MM-DDThh:mm:ss host charon pid ... */
	DOCTOR_FMT_GUI,		/* pfSense/OPNsense GUI copy: tab-separated time, [severity,] process, [pid,] msg */
	DOCTOR_FMT_CONSOLE,	/* swanctl --initiate output: [GRP] msg */
	DOCTOR_FMT_JOURNAL,	/* journalctl -o export: MESSAGE=... */
	DOCTOR_FMT_PLAIN,	/* no known prefix (ipsec up output, unknown custom formats) */
	DOCTOR_FMT_LOGCAT,	/* Android logcat: [MM-DD hh:mm:ss.mmm ][pid tid ]L[/]tag[(pid)]: msg */
	DOCTOR_FMT_JSON,	/* one JSON object a line: journalctl -o json, charon filelog json */
	DOCTOR_FMT_COUNT
};

extern const char *const doctor_fmt_names[DOCTOR_FMT_COUNT];

/* One parsed line; the pointers point into the caller's line buffer. */
struct doctor_line {
	enum doctor_fmt fmt;
	bool has_time;
	int64_t time;		/* seconds, comparable within one file (BSD stamps have no year) */
	int thread;		/* charon thread, -1 when absent */
	char group[4];		/* "IKE", "CFG", ... or "" */
	int level;		/* log level from "[IKE2]", -1 when absent */
	const char *name;	/* IKE SA name from "<name|id>", NULL when absent */
	size_t name_len;
	unsigned sa_id;		/* IKE SA unique id from "<name|id>" or "<id>", 0 when absent */
	const char *msg;	/* message text without prefix and line end */
	size_t msg_len;
	bool msg_escaped;	/* msg is the inside of a JSON string: decode it with
				 * doctor_log_json_unescape before matching text */
};

/* Parse one line of len bytes (may hold a trailing CR/LF, NULs, invalid UTF-8) into out.
 * Returns 0, or -ENOMSG when the line carries no charon message (empty, journal metadata);
 * out is filled in both cases. */
int doctor_log_parse(const char *line, size_t len, struct doctor_line *out);

/* Decode the JSON string escapes in s (n bytes) into out (cap bytes): \" \\ \/ \b \f \t,
 * \n and \r as a blank (charon's multi-line messages become one line), \uXXXX as UTF-8
 * (control characters and unpaired surrogates as '?'). Returns the decoded length; output
 * beyond cap is cut. */
size_t doctor_log_json_unescape(const char *s, size_t n, char *out, size_t cap);

#endif
