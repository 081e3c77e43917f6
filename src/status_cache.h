/* status_cache.h - the daemon's event-fed status document, served by web.c.
 *
 * One VICI connection of its own, subscribed to ike-updown, child-updown, ike-rekey and
 * child-rekey. The document (docs/web.md) is rebuilt from one list-sas when an event arrives
 * and every STATUS_CACHE_REFRESH_MS (traffic counters move without events), never per HTTP
 * request: a thousand requests a second cost charon nothing. Driven by the owner's poll().
 * status_cache_document may be called from another thread (the daemon's web thread): the
 * document is published under a lock, and a VICI call charon leaves unanswered for
 * STATUS_CACHE_SLOW_MS shows in it at once as charon.not_answering_since.
 */
#ifndef TUNNELCTL_STATUS_CACHE_H
#define TUNNELCTL_STATUS_CACHE_H

#include <jansson.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tunnel.h"
#include "vici.h"

#define STATUS_CACHE_REFRESH_MS 5000	/* list-sas at least this often, for traffic counters */
#define STATUS_CACHE_SETTLE_MS 100	/* events within this window cause one list-sas */
#define STATUS_CACHE_RECONNECT_MS 2000	/* charon unreachable: try again after this */
#define STATUS_CACHE_VICI_TIMEOUT_MS 3000	/* one list-sas may take this long */
#define STATUS_CACHE_MAX_NAMES 32768	/* per-name event counters kept at most */
#define STATUS_CACHE_DIAG_MS 30000	/* while tunnels stay down, the doctor runs again this often */
#define STATUS_CACHE_DIAG_GROWN_MS 2000	/* ... or this soon, once charon's log has grown since */
#define STATUS_CACHE_SLOW_MS 1000	/* a VICI call unanswered this long: "charon not answering" */

struct tc_ctx;
struct status_cache;

/* A cache for the tunnels of tf (borrowed: it must outlive the cache or be replaced with
 * status_cache_set_tunnels). charon_log (copied; NULL = none) is the file log the doctor reads
 * when a tunnel is down: its verdict goes into the entry. Nothing is contacted until the first
 * dispatch. */
struct status_cache *status_cache_new(const struct tc_ctx *ctx, const struct tunnel_file *tf,
				      const char *charon_log);
/* After SIGHUP: watch the tunnels of a new tunnel file (borrowed) and refresh at once. */
void status_cache_set_tunnels(struct status_cache *sc, const struct tunnel_file *tf);
/* Record what every refresh sees into the history (timeline.h, borrowed; NULL: none) and carry
 * each tunnel's summary in the document's "history" object. */
struct timeline;
void status_cache_set_timeline(struct status_cache *sc, struct timeline *tl);
/* Free everything, closing the VICI connection; NULL is fine. */
void status_cache_free(struct status_cache *sc);

/* Fill up to max poll entries (0 or 1); *timeout_ms gets the time to the next timer. */
size_t status_cache_poll_fds(struct status_cache *sc, struct pollfd *fds, size_t max, int *timeout_ms);
/* Handle what poll() reported for the entries filled, then the timers that are due. */
void status_cache_dispatch(struct status_cache *sc, const struct pollfd *fds, size_t n);

/* The current document as a new reference (never NULL after the first dispatch) and its
 * generation: the web_source.status callback (arg = the cache). Safe from any thread. While
 * charon leaves a call unanswered (or since one timed out, until it answers again), the
 * document's charon object says {"reachable": false, "not_answering_since": UNIX_SECONDS}. */
json_t *status_cache_document(void *sc, uint64_t *generation);
/* VICI commands sent so far (list-sas and event registrations), for tests and the benchmark. */
uint64_t status_cache_vici_calls(const struct status_cache *sc);

#endif
