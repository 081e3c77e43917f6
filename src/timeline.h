/* timeline.h - the daemon's writer of the per-tunnel history (issue 17, history.h): turns what
 * the status cache sees (each child's state at every refresh, rekey events, the doctor's
 * verdict for a tunnel that is down) and what the keep-alive decides (initiate, restart,
 * failed, dead, stalled, up) into records in STATE_DIR/history, and keeps each timeline's
 * summary (availability over a day and a week, the 24 h strip, the last records) for the status
 * document. Used on the daemon's loop thread only. docs/commands.md "history" says what is
 * recorded when.
 */
#ifndef TUNNELCTL_TIMELINE_H
#define TUNNELCTL_TIMELINE_H

#include <jansson.h>
#include <stdint.h>

#define TIMELINE_SUMMARY_MS 60000	/* a summary is recomputed at least this often (the window slides) */
#define TIMELINE_RECENT 20		/* records each summary carries, newest last */
#define TIMELINE_MAX_NAMES 32768	/* tunnels followed at most */
#define TIMELINE_ALIVE_MS 10000	/* the daemon's "still running" mark is this fresh */

struct timeline;
struct keepalive_decision;

/* A writer for state_dir (copied). Nothing is written until something happens. */
struct timeline *timeline_new(const char *state_dir);
/* Free it (writes nothing); NULL is fine. */
void timeline_free(struct timeline *tl);

/* One refresh of the status document's "ike_sas" (status.h): a configured child that is up
 * now and was not (or the other way round) gets an up (down) record, why saying what the
 * refresh was for ("child-updown event", "periodic refresh", "charon not reachable: ...");
 * a child that is down and whose entry carries a doctor's verdict gets a verdict record
 * once per class and outage. */
void timeline_observe(struct timeline *tl, const json_t *sas, const char *why);
/* A child-rekey event for child (conN or conN_M). */
void timeline_rekey(struct timeline *tl, const char *child);
/* An ike-rekey event for ike (conN): a rekey record for each of its children seen so far. */
void timeline_ike_rekey(struct timeline *tl, const char *ike);
/* A keep-alive decision (keepalive.h): initiate, restart, failed, dead, stalled and up are
 * recorded (initiate and failed for attempts 1, 2, 4, 8, ...: a week-long outage costs a
 * dozen records, not thousands); anything else is not. */
void timeline_decision(struct timeline *tl, const struct keepalive_decision *d);
/* The daemon stops: a stop record for every tunnel seen (nothing is known until it starts),
 * and the alive mark goes. */
void timeline_stop(struct timeline *tl, const char *reason);
/* The daemon runs: save the alive mark (state.h) if it is TIMELINE_ALIVE_MS old. */
void timeline_alive(struct timeline *tl);
/* At start: when the alive mark is there, the last daemon ended without its stop records (kill
 * -9, a crash, power): each timeline whose state was known at the mark gets a stop record at
 * the mark's time, so the time since counts as unknown, not as whatever it last was. Returns
 * how many; the mark is cleared. A mark fresher than 2 * TIMELINE_ALIVE_MS is left alone (it
 * may be a running daemon's). */
size_t timeline_recover(struct timeline *tl);

/* {NAME: {"state", "day", "week", "strip", "records", "damaged", "recent": [record...]}} for
 * every tunnel seen, summaries at most TIMELINE_SUMMARY_MS old or newer than its last record
 * (a new reference). */
json_t *timeline_summaries(struct timeline *tl);

#endif
