/* history.h - a tunnel's timeline (issue 17): the record format, a reader that survives damaged
 * files, and the availability math (percent up, outages, mean time to recover). Pure: the
 * daemon and `tunnelctl down/up` append through state.c, `history`, the web page and /metrics
 * read through here (docs/commands.md "history" describes the format and the math).
 *
 * A record is one line: TIME_MS TAB KIND TAB CLASS TAB REASON TAB CRC32 LF, the CRC (8 hex
 * digits) over everything before its tab. A line that is cut short (a crash mid-write), fails
 * its CRC or does not parse is skipped and counted; the lines around it are unaffected.
 */
#ifndef TUNNELCTL_HISTORY_H
#define TUNNELCTL_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HISTORY_LINE_MAX 512		/* one encoded record at most, LF included */
#define HISTORY_CLASS_MAX 32		/* a doctor class name, NUL included */
#define HISTORY_REASON_MAX 384		/* reason text kept, NUL included (longer is cut) */
#define HISTORY_MAX_RECORDS 200000	/* records one parse keeps at most (more are counted as dropped) */
#define HISTORY_DAY_MS (24LL * 3600 * 1000)
#define HISTORY_WEEK_MS (7 * HISTORY_DAY_MS)
#define HISTORY_STRIP_SLOTS 96		/* the web page's 24 h strip: one slot per 15 minutes */

/* What happened. The order is the file format's names table: append only. */
enum history_kind {
	HISTORY_UP,		/* child SA installed (seen by the daemon, or a restart succeeded) */
	HISTORY_DOWN,		/* child SA gone */
	HISTORY_REKEY,		/* child SA rekeyed */
	HISTORY_INITIATE,	/* the keep-alive re-initiated it */
	HISTORY_RESTART,	/* the keep-alive terminated and initiated it */
	HISTORY_FAILED,		/* an initiation failed */
	HISTORY_DEAD,		/* up but dead: the ping host stopped answering */
	HISTORY_STALLED,	/* up but dead: sending into it, nothing comes back (stallwatch.h) */
	HISTORY_VERDICT,	/* the doctor named the cause of the failure (class) */
	HISTORY_MANUAL_DOWN,	/* `tunnelctl down` */
	HISTORY_MANUAL_UP,	/* `tunnelctl up` */
	HISTORY_START,		/* the daemon started watching */
	HISTORY_STOP,		/* the daemon stopped: nothing known until it starts again */
	HISTORY_KIND_COUNT
};
extern const char *const history_kind_names[HISTORY_KIND_COUNT];

/* What the timeline says the tunnel was doing. MANUAL and UNKNOWN time count neither as up
 * nor as down (an administrator's `down` is no outage; a stopped daemon saw nothing). */
enum history_state { HISTORY_S_UNKNOWN, HISTORY_S_UP, HISTORY_S_DOWN, HISTORY_S_MANUAL };
extern const char *const history_state_names[];

struct history_rec {
	int64_t time_ms;			/* unix milliseconds */
	enum history_kind kind;
	char cls[HISTORY_CLASS_MAX];		/* the doctor's class, "" for none */
	char reason[HISTORY_REASON_MAX];
};

/* Parsed records, sorted by time (equal times keep file order). */
struct history {
	struct history_rec *v;
	size_t n, cap;
	size_t damaged;		/* lines skipped: torn, bad CRC, unparsable */
	size_t dropped;		/* good records beyond HISTORY_MAX_RECORDS */
};

/* Encode r as one line into out; returns its length (LF included). Control characters and
 * invalid UTF-8 in the reason become spaces / '?'; a class that is no token becomes "". */
size_t history_encode(const struct history_rec *r, char out[HISTORY_LINE_MAX]);
/* Parse len bytes (one file's contents) and add their records to h; call again for the next
 * file (a torn line never joins the next file's first). history_sort once all are in. */
void history_parse(struct history *h, const char *data, size_t len);
void history_sort(struct history *h);
void history_free(struct history *h);

/* The state after a record of kind k, from state s. */
enum history_state history_next_state(enum history_state s, enum history_kind k);
/* The state after every record of h up to and including time t (UNKNOWN before any). */
enum history_state history_state_at(const struct history *h, int64_t t);

/* Availability over from_ms to to_ms: time is measured over [from_ms, to_ms); records at
 * to_ms itself count (a tunnel that went down at to_ms is down then, as history_state_at
 * says), so a summary made in the millisecond of its last record has that record. An outage
 * is a stretch of DOWN; one that began before from counts when it reaches into the window;
 * lengths are whole (not cut at from). */
struct history_avail {
	int64_t from_ms, to_ms;
	int64_t up_ms, down_ms, manual_ms, unknown_ms;	/* time in each state within the window */
	unsigned outages;		/* outages overlapping the window, the ongoing one included */
	int64_t longest_ms;		/* the longest of them (an ongoing one: so far) */
	unsigned recovered;		/* of those, ended by the tunnel coming up within the window */
	int64_t recover_ms;		/* their lengths summed: mean time to recover = recover_ms / recovered */
	bool ongoing;			/* down at to_ms */
	int64_t ongoing_since;		/* when that outage began */
};
void history_availability(const struct history *h, int64_t from_ms, int64_t to_ms, struct history_avail *out);
/* Percent up of a, or -1 when the window saw neither up nor down time. */
double history_percent_up(const struct history_avail *a);

/* slots characters (+ NUL) for [from_ms, to_ms): 'd' a slot with any down time, else 'u' some
 * up time, else 'm' manually down, else '-' unknown. */
void history_strip(const struct history *h, int64_t from_ms, int64_t to_ms, size_t slots, char *out);

/* r as {"time": unix seconds (3 decimals), "event", "class" (or null), "reason"} (a new reference). */
json_t *history_rec_json(const struct history_rec *r);
/* {"percent_up": N|null, "up_seconds", "down_seconds", "outages", "longest_outage_seconds",
 * "recovered", "mttr_seconds": N|null, "ongoing_since"?} of a (a new reference). */
json_t *history_avail_json(const struct history_avail *a);
/* The summary the status document carries per child: {"day": avail, "week": avail,
 * "strip": 24 h strip, "state": now, "records": n, "damaged": n} at now_ms. */
json_t *history_summary_json(const struct history *h, int64_t now_ms);

#endif
