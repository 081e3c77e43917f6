/* keepalive.h - keep tunnels up (docs/keepalive.md): the engine behind `tunnelctl keepalive`
 * and the daemon.
 *
 * One event loop, driven by the caller's poll(): the engine hands out its file descriptors (the
 * VICI event connection, one VICI connection per initiation in flight, the ICMP sockets) and the
 * time to its next timer, and handles whatever poll reports. It watches every phase 2 with
 * keepalive = yes and every child of a phase 1 with start_action = start, re-initiates them when
 * they are down and not manually down, backs off (1 s doubling to 5 min, jitter) while that
 * fails, restarts children whose ping host stops answering, reconnects to a restarted charon and
 * re-applies the tunnel file when charon came back empty. A peer that does not answer at all is
 * not backed off but probed once a second per gateway address (peerwatch.h, issue 20). Every decision goes to the log
 * callback and to the state directory (state_keepalive_save).
 */
#ifndef TUNNELCTL_KEEPALIVE_H
#define TUNNELCTL_KEEPALIVE_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEEPALIVE_BACKOFF_MIN_MS 1000		/* first retry after a failed initiation */
#define KEEPALIVE_BACKOFF_MAX_MS 300000		/* backoff doubles up to 5 minutes, forever */
#define KEEPALIVE_PING_LOSSES 3			/* lost echoes in a row = up but dead */
#define KEEPALIVE_MAX_FDS 64			/* poll entries the engine may ask for */
#define KEEPALIVE_MAX_INFLIGHT 4		/* initiations at once: each holds a charon worker thread */
#define KEEPALIVE_PEERS_FILE "keepalive/peers.json"	/* under STATE_DIR: the gateways, silent or not */
#define KEEPALIVE_PEERS_MAX_BYTES (1024 * 1024)	/* reading it back */

struct tc_ctx;
struct tunnel_file;
struct keepalive;

/* One decision, as the log callback gets it. Strings live during the call only. */
struct keepalive_decision {
	int priority;		/* syslog priority: LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR */
	const char *tunnel;	/* conN / conN_M, or "charon" for decisions about the daemon itself */
	const char *action;	/* initiate, restart, up, failed, dead, wait, skip, reapply, charon-lost, ... */
	const char *reason;	/* why, in words */
	unsigned attempts;	/* initiations since the tunnel was last healthy */
	int64_t retry_ms;	/* for failed: milliseconds until the next attempt, else 0 */
};

typedef void (*keepalive_log_fn)(void *arg, const struct keepalive_decision *d);

struct keepalive_config {
	const struct tc_ctx *ctx;	/* VICI URI, state dir, out dir, tunnel file path */
	keepalive_log_fn log;		/* every decision; may be NULL */
	void *log_arg;
	bool once;			/* one pass: no retries, no periodic timers */
	unsigned time_scale;		/* 1, or N to run backoff N times faster (benchmarks only) */
};

/* A new engine for tf (taken over, freed by keepalive_free). Nothing is contacted yet: the first
 * keepalive_dispatch connects. Never fails (allocation failure aborts). */
struct keepalive *keepalive_new(const struct keepalive_config *cfg, struct tunnel_file *tf);

/* Free everything, closing every connection; NULL is fine. */
void keepalive_free(struct keepalive *ka);

/* Replace the tunnel file (SIGHUP): apply it to charon and watch the new set. Takes tf over.
 * Counters of tunnels that stay are kept. 0, or -1 when the apply failed (logged). */
int keepalive_reload(struct keepalive *ka, struct tunnel_file *tf);

/* The tunnel file the engine watches now, and a generation that changes whenever the engine
 * replaced it (SIGHUP reload, or a `tunnelctl apply` it noticed): borrowers such as the status
 * cache must take the new pointer before anything else runs. */
const struct tunnel_file *keepalive_tunnels(const struct keepalive *ka, unsigned *generation);

/* Fill up to max poll entries with what the engine waits on; returns how many. *timeout_ms
 * gets the milliseconds until its next timer (0: work is waiting, call dispatch at once). */
size_t keepalive_poll_fds(struct keepalive *ka, struct pollfd *fds, size_t max, int *timeout_ms);

/* Handle what poll() reported for the entries keepalive_poll_fds filled (fds may be NULL with
 * n = 0 after a timeout), then every timer that is due. */
void keepalive_dispatch(struct keepalive *ka, const struct pollfd *fds, size_t n);

/* True in once mode when the pass is over: every check, initiation and ping round finished. */
bool keepalive_done(const struct keepalive *ka);

/* Counts for `keepalive --once`'s summary and the metrics. */
struct keepalive_stats {
	unsigned watched;	/* tunnels (child names) watched */
	unsigned up;		/* of those, up now (last check or initiation) */
	unsigned initiated;	/* initiations and restarts started */
	unsigned failed;	/* initiations that failed */
	unsigned skipped;	/* down but manually down */
	bool charon;		/* connected to charon */
};
void keepalive_get_stats(const struct keepalive *ka, struct keepalive_stats *out);

/* The gateways the daemon last wrote to STATE_DIR/KEEPALIVE_PEERS_FILE, for status and the
 * metrics: an array of {address, silent, silent_since (unix s, 0 never), back_since (unix s,
 * 0 never), probe ("echo" or "ike"), tunnels}. A new reference (caller decrefs), or NULL when
 * there is none or it does not parse. */
json_t *keepalive_peers_load(const char *state_dir);

#endif
