/* state.h - tunnelctl's state directory (/var/lib/tunnelctl): manual-down marks and the last
 * applied tunnel file. Small files, one per fact, so a crash never leaves half a state. */
#ifndef TUNNELCTL_STATE_H
#define TUNNELCTL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when `tunnelctl down NAME` marked this connection (IKE or child name) as manually down. */
bool state_is_down(const char *state_dir, const char *name);
/* Which per-connection record directories are there (and pass the ownership checks), asked
 * once before looking up many names: where one is missing, state_is_down is false and
 * state_keepalive_load fails for every name, so a pass over 1,000 SAs can skip them. */
struct state_dirs {
	bool down;		/* down/: manual-down marks */
	bool keepalive;		/* keepalive/: the keep-alive engine's records */
};
void state_dirs_check(const char *state_dir, struct state_dirs *d);
/* What a state function's error means, for messages: a symlink or file where a directory of
 * ours belongs (-ENOTDIR), a state directory writable by others (-EPERM), else strerror. */
const char *state_strerror(int rc);
/* Set (down = true) or clear the manual-down mark of a connection. 0 or -errno. */
int state_set_down(const char *state_dir, const char *name, bool down);
/* Keep a copy of the tunnel file that was applied (mode 0600: it may hold PSKs), provided the
 * file and its includes are still what apply parsed (digest: conf_tree.digest of that parse).
 * 0, -ESTALE (edited since: nothing recorded, the daemon does not follow it) or -errno. */
int state_save_applied(const char *state_dir, const char *tunnel_file, const char *digest);
/* The absolute path of the tunnel file last applied (caller frees), or NULL if unknown. */
char *state_applied_path(const char *state_dir);
/* When that copy was last written (nanoseconds since the epoch), to notice another apply. 0 or -errno. */
int state_applied_mtime(const char *state_dir, int64_t *ns);

/* An apply under way: set before the generated files are written, cleared once charon has
 * accepted everything. Found set, it means a run was interrupted between the two, and the
 * files no longer tell what charon has. Set and clear: 0 or -errno; a missing one clears fine. */
int state_apply_pending_set(const char *state_dir);
bool state_apply_pending(const char *state_dir);
int state_apply_pending_clear(const char *state_dir);

/* What the keep-alive engine last decided about one connection, for `status` and metrics. */
#define STATE_ACTION_MAX 32
#define STATE_REASON_MAX 256
struct state_keepalive {
	int64_t time;			/* unix seconds of the last decision */
	char action[STATE_ACTION_MAX];	/* "initiate", "restart", "up", "failed", "wait", "skip", ... */
	char reason[STATE_REASON_MAX];	/* why, in words */
	unsigned attempts;		/* initiations since the tunnel was last healthy */
	uint64_t reinitiations;		/* initiations and restarts since the record was created */
	int64_t last_reinit;		/* unix seconds of the last initiation or restart, 0 if none */
	int64_t next_try;		/* unix seconds of the next planned attempt, 0 if none */
	uint64_t stalls;		/* restarts for sending into a dead tunnel (stallwatch.h) */
	int64_t last_stall;		/* unix seconds of the last of them, 0 if none */
};

/* Save the keep-alive record of a connection (atomic, keepalive/NAME.json). 0 or -errno. */
int state_keepalive_save(const char *state_dir, const char *name, const struct state_keepalive *k);
/* Load it into *k (zeroed first). 0, -ENOENT (no record) or -errno / -EINVAL (unreadable). */
int state_keepalive_load(const char *state_dir, const char *name, struct state_keepalive *k);

/* The key id charon gave a private key we loaded (load-key's reply), by secret name
 * (private-N), so the key can be unloaded when its tunnel goes. */
#define STATE_KEYID_MAX 128
/* Record it (keys/NAME). 0 or -errno. */
int state_keyid_save(const char *state_dir, const char *name, const char *keyid);
/* Read it into id (size STATE_KEYID_MAX). 0, -ENOENT (none recorded) or -errno. */
int state_keyid_load(const char *state_dir, const char *name, char id[STATE_KEYID_MAX]);
/* Forget it. 0 or -errno (a missing record is fine). */
int state_keyid_remove(const char *state_dir, const char *name);

/* The SHA-256 (hex) of the firewall ruleset last applied, so apply can skip an unchanged one.
 * Save: 0 or -errno. Load into out (65 bytes): 0, -ENOENT or -errno. Clear: a missing one is fine. */
int state_firewall_hash_save(const char *state_dir, const char *hex);
int state_firewall_hash_load(const char *state_dir, char out[65]);
int state_firewall_hash_clear(const char *state_dir);

/* The per-tunnel timeline (history.h): STATE_DIR/history/NAME.log, appended one record at a
 * time (one write of a whole line, O_APPEND, then fdatasync: a crash loses at most the record
 * being written, whose torn line readers skip). Once the file would pass
 * STATE_HISTORY_MAX_BYTES it becomes NAME.log.1 (the previous .1 goes), so a tunnel keeps at
 * most twice that. Writers (the daemon, `tunnelctl down/up`) take STATE_DIR/history/.lock. */
#define STATE_HISTORY_MAX_BYTES (256 * 1024)
#define STATE_HISTORY_TAIL_BYTES 8192	/* read back from the end to find the tunnel's last state */
struct history;
struct history_rec;
/* Append r to name's timeline. dedupe: skip an up or down record that repeats the state the
 * timeline already ends in (the daemon sees a change from two sides). 0 written, 1 skipped,
 * or -errno. */
int state_history_append(const char *state_dir, const char *name, const struct history_rec *r, bool dedupe);
/* Read name's timeline (NAME.log.1, then NAME.log; at most STATE_HISTORY_MAX_BYTES +
 * HISTORY_LINE_MAX of the end of each) into h, sorted. 0, -ENOENT (none) or -errno. */
int state_history_load(const char *state_dir, const char *name, struct history *h);
/* The names that have a timeline, sorted (caller frees each and the array). 0 or -errno. */
int state_history_names(const char *state_dir, char ***names, size_t *n);
/* The daemon's "still running at" mark (STATE_DIR/history/.alive, unix ms): saved as it runs,
 * cleared when it stops; found at start, it says the last one ended without a stop record.
 * Save/clear 0 or -errno; load 0, -ENOENT, -EINVAL (not a time) or -errno. */
int state_history_alive_save(const char *state_dir, int64_t ms);
int state_history_alive_load(const char *state_dir, int64_t *ms);
int state_history_alive_clear(const char *state_dir);

#endif
