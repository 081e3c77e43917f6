/* state.c - manual-down marks and the last applied tunnel file in the state directory. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

#define STATE_DOWN_DIR "down"			/* one empty file per connection marked down */
#define STATE_APPLIED_FILE "applied.conf"	/* copy of the last applied tunnel file */
#define STATE_APPLIED_PATH "applied.path"	/* where that file was: its absolute path */
#define STATE_KEEPALIVE_DIR "keepalive"		/* NAME.json: the keep-alive engine's last decision */
#define STATE_KEEPALIVE_MAX 4096		/* such a record is a few hundred bytes */
#define STATE_FIREWALL_HASH "firewall.sha256"	/* hash of the ruleset text last applied */
#define STATE_KEYS_DIR "keys"			/* NAME: the key id of a private key we loaded */
#define STATE_APPLY_PENDING "apply.pending"	/* an apply wrote files charon may not have yet */

/* Connection names are conN / conN_M / descriptions: refuse anything that is not a plain file name. */
static bool name_ok(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* A directory we keep state in: a directory (a symlink only when follow: the state directory
 * itself may be one, the admin's choice), not writable by others. 0, -ENOTDIR, -EPERM or -errno. */
static int dir_check(const char *path, bool follow)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_mode & S_IWOTH)
		return -EPERM;
	return 0;
}

/* Check STATE_DIR and STATE_DIR/SUB (sub may be NULL), creating them (0700) when create.
 * A symlink inside the state directory is never followed: `down/` pointing elsewhere would
 * put our files there. 0, -ENOENT (not created), -ENOTDIR, -EPERM or -errno. */
static int state_dir_ok(const char *state_dir, const char *sub, bool create)
{
	char *dir;
	int rc = create ? mkdir_p(state_dir, 0700) : 0;

	if (rc == 0)
		rc = dir_check(state_dir, true);
	if (rc != 0 || !sub)
		return rc;
	dir = xasprintf("%s/%s", state_dir, sub);
	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
		rc = -errno;
	if (rc == 0)
		rc = dir_check(dir, false);
	free(dir);
	return rc;
}

const char *state_strerror(int rc)
{
	switch (rc) {
	case -ENOTDIR:
		return "a symbolic link or a file where the state directory needs a directory";
	case -EPERM:
		return "the state directory is writable by others (chmod o-w)";
	case -ELOOP:
		return "a symbolic link where a state file belongs";
	case -ESTALE:
		return "the tunnel file or an include changed while apply ran";
	default:
		return strerror(-rc);
	}
}

/* Small records, one short value per file: STATE_DIR[/SUB]/NAME, 0600 (down/conN,
 * keys/private-N, firewall.sha256). Callers check NAME with name_ok. */
static char *record_path(const char *state_dir, const char *sub, const char *name)
{
	return sub ? xasprintf("%s/%s/%s", state_dir, sub, name) : xasprintf("%s/%s", state_dir, name);
}

static int record_save(const char *state_dir, const char *sub, const char *name, const char *value)
{
	char *path = record_path(state_dir, sub, name);
	int rc = state_dir_ok(state_dir, sub, true);

	if (rc == 0)
		rc = file_write_atomic(path, value, strlen(value), 0600);
	free(path);
	return rc;
}

/* Its first line into out (size cap), or -ENOENT / -errno / -EINVAL (empty or too long). */
static int record_load(const char *state_dir, const char *sub, const char *name, char *out, size_t cap)
{
	char *path = record_path(state_dir, sub, name);
	struct buf b;
	int rc;

	out[0] = '\0';
	buf_init(&b);
	rc = state_dir_ok(state_dir, sub, false);
	if (rc == 0)
		rc = file_read_regular(path, cap, true, &b, NULL);
	free(path);
	if (rc == 0 && !b.data)
		rc = -EINVAL;
	if (rc == 0) {
		b.len = strcspn(b.data, "\n");
		b.data[b.len] = '\0';
		if (b.len >= cap)
			rc = -EINVAL;
		else
			memcpy(out, b.data, b.len + 1);
	}
	buf_free(&b);
	return rc;
}

static int record_remove(const char *state_dir, const char *sub, const char *name)
{
	char *path = record_path(state_dir, sub, name);
	int rc = 0;

	if (unlink(path) != 0 && errno != ENOENT)
		rc = -errno;
	free(path);
	return rc;
}

bool state_is_down(const char *state_dir, const char *name)
{
	struct stat st;
	char *path;
	bool down;

	if (!name_ok(name) || state_dir_ok(state_dir, STATE_DOWN_DIR, false) != 0)
		return false;
	path = record_path(state_dir, STATE_DOWN_DIR, name);
	down = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return down;
}

void state_dirs_check(const char *state_dir, struct state_dirs *d)
{
	d->down = state_dir_ok(state_dir, STATE_DOWN_DIR, false) == 0;
	d->keepalive = state_dir_ok(state_dir, STATE_KEEPALIVE_DIR, false) == 0;
}

int state_set_down(const char *state_dir, const char *name, bool down)
{
	if (!name_ok(name))
		return -EINVAL;
	return down ? record_save(state_dir, STATE_DOWN_DIR, name, "")
		    : record_remove(state_dir, STATE_DOWN_DIR, name);
}

int state_save_applied(const char *state_dir, const char *tunnel_file, const char *digest)
{
	char now[65];
	struct buf data;
	char *path;
	int rc;

	buf_init(&data);
	rc = file_read_all(tunnel_file, TC_MAX_FILE_SIZE, &data);
	/* after the copy: an edit between the two reads shows as a different digest */
	if (rc == 0)
		rc = conf_file_digest(tunnel_file, now);
	if (rc == 0 && strcmp(now, digest) != 0)
		rc = -ESTALE;
	if (rc == 0)
		rc = state_dir_ok(state_dir, NULL, true);
	if (rc == 0) {
		/* the path first: whoever sees the copy change finds the file it came from */
		char *abs = realpath(tunnel_file, NULL);
		path = xasprintf("%s/%s", state_dir, STATE_APPLIED_PATH);
		rc = abs ? file_write_atomic(path, abs, strlen(abs), 0600) : -errno;
		free(path);
		free(abs);
	}
	if (rc == 0) {
		path = xasprintf("%s/%s", state_dir, STATE_APPLIED_FILE);
		rc = file_write_atomic(path, data.data, data.len, 0600);
		free(path);
	}
	buf_free_secret(&data);
	return rc;
}

char *state_applied_path(const char *state_dir)
{
	char *path = xasprintf("%s/%s", state_dir, STATE_APPLIED_PATH);
	struct buf b;
	int rc;

	buf_init(&b);
	rc = state_dir_ok(state_dir, NULL, false);
	if (rc == 0)
		rc = file_read_regular(path, PATH_MAX, true, &b, NULL);
	free(path);
	if (rc != 0 || !b.len || memchr(b.data, '\0', b.len)) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int state_applied_mtime(const char *state_dir, int64_t *ns)
{
	char *path = xasprintf("%s/%s", state_dir, STATE_APPLIED_FILE);
	struct stat st;
	int rc = lstat(path, &st) == 0 ? 0 : -errno;

	free(path);
	if (rc == 0)
		*ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return rc;
}

static char *keepalive_path(const char *state_dir, const char *name)
{
	return xasprintf("%s/%s/%s.json", state_dir, STATE_KEEPALIVE_DIR, name);
}

int state_keepalive_save(const char *state_dir, const char *name, const struct state_keepalive *k)
{
	json_t *o;
	char *path, *text;
	int rc;

	if (!name_ok(name))
		return -EINVAL;
	o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I}", "time", (json_int_t)k->time, "action", k->action,
		      "reason", k->reason, "attempts", (json_int_t)k->attempts, "reinitiations",
		      (json_int_t)k->reinitiations, "last_reinit", (json_int_t)k->last_reinit, "next_try",
		      (json_int_t)k->next_try);
	if (!o)
		return -EINVAL;	/* a reason that is not UTF-8 */
	text = json_dumps(o, JSON_SORT_KEYS);
	json_decref(o);
	if (!text)
		return -ENOMEM;
	path = keepalive_path(state_dir, name);
	rc = state_dir_ok(state_dir, STATE_KEEPALIVE_DIR, true);
	if (rc == 0)
		rc = file_write_atomic(path, text, strlen(text), 0600);
	free(text);
	free(path);
	return rc;
}

/* Copy a string member into a fixed field, truncated. */
static void copy_str(json_t *o, const char *key, char *out, size_t size)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(out, size, "%s", v ? v : "");
}

static int64_t get_int(json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

int state_keepalive_load(const char *state_dir, const char *name, struct state_keepalive *k)
{
	struct buf data;
	json_t *o;
	char *path;
	int rc;

	memset(k, 0, sizeof(*k));
	if (!name_ok(name))
		return -EINVAL;
	buf_init(&data);
	path = keepalive_path(state_dir, name);
	rc = state_dir_ok(state_dir, STATE_KEEPALIVE_DIR, false);
	if (rc == 0)
		rc = file_read_regular(path, STATE_KEEPALIVE_MAX, true, &data, NULL);
	free(path);
	if (rc != 0) {
		buf_free(&data);
		return rc;
	}
	o = json_loadb(data.data, data.len, 0, NULL);
	buf_free(&data);
	if (!json_is_object(o)) {
		json_decref(o);
		return -EINVAL;
	}
	k->time = get_int(o, "time");
	copy_str(o, "action", k->action, sizeof(k->action));
	copy_str(o, "reason", k->reason, sizeof(k->reason));
	k->attempts = (unsigned)get_int(o, "attempts");
	k->reinitiations = (uint64_t)get_int(o, "reinitiations");
	k->last_reinit = get_int(o, "last_reinit");
	k->next_try = get_int(o, "next_try");
	json_decref(o);
	return 0;
}

/* A key id is hex digits, maybe with colons (charon prints %+B as plain hex). */
static bool keyid_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= STATE_KEYID_MAX)
		return false;
	return strspn(id, "0123456789abcdefABCDEF:") == n;
}

/* The SHA-256 hex form sha256_hex writes. */
static bool hash_ok(const char *hex)
{
	return strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64;
}

int state_keyid_save(const char *state_dir, const char *name, const char *keyid)
{
	if (!name_ok(name) || !keyid_ok(keyid))
		return -EINVAL;
	return record_save(state_dir, STATE_KEYS_DIR, name, keyid);
}

int state_keyid_load(const char *state_dir, const char *name, char id[STATE_KEYID_MAX])
{
	int rc;

	id[0] = '\0';
	if (!name_ok(name))
		return -EINVAL;
	rc = record_load(state_dir, STATE_KEYS_DIR, name, id, STATE_KEYID_MAX);
	if (rc == 0 && !keyid_ok(id)) {
		id[0] = '\0';
		rc = -EINVAL;
	}
	return rc;
}

int state_keyid_remove(const char *state_dir, const char *name)
{
	if (!name_ok(name))
		return -EINVAL;
	return record_remove(state_dir, STATE_KEYS_DIR, name);
}

int state_firewall_hash_save(const char *state_dir, const char *hex)
{
	if (!hash_ok(hex))
		return -EINVAL;
	return record_save(state_dir, NULL, STATE_FIREWALL_HASH, hex);
}

int state_firewall_hash_load(const char *state_dir, char out[65])
{
	int rc = record_load(state_dir, NULL, STATE_FIREWALL_HASH, out, 65);

	if (rc == 0 && !hash_ok(out)) {
		out[0] = '\0';
		rc = -EINVAL;
	}
	return rc;
}

int state_firewall_hash_clear(const char *state_dir)
{
	return record_remove(state_dir, NULL, STATE_FIREWALL_HASH);
}

int state_apply_pending_set(const char *state_dir)
{
	return record_save(state_dir, NULL, STATE_APPLY_PENDING, "apply under way\n");
}

bool state_apply_pending(const char *state_dir)
{
	char *path = record_path(state_dir, NULL, STATE_APPLY_PENDING);
	struct stat st;
	/* anything there counts: the safe error is loading everything once more */
	bool pending = lstat(path, &st) == 0;

	free(path);
	return pending;
}

int state_apply_pending_clear(const char *state_dir)
{
	return record_remove(state_dir, NULL, STATE_APPLY_PENDING);
}
