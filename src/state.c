/* state.c - manual-down marks and the last applied tunnel file in the state directory. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "history.h"
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
	if (o && (k->stalls || k->last_stall)) {
		json_object_set_new(o, "stalls", json_integer((json_int_t)k->stalls));
		json_object_set_new(o, "last_stall", json_integer((json_int_t)k->last_stall));
	}
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
	k->stalls = (uint64_t)get_int(o, "stalls");
	k->last_stall = get_int(o, "last_stall");
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

/* ---- the per-tunnel timeline ---- */

#define STATE_HISTORY_DIR "history"
#define STATE_HISTORY_LOCK ".lock"
#define STATE_HISTORY_EXT ".log"
#define STATE_HISTORY_OLD ".log.1"
#define STATE_HISTORY_ALIVE ".alive"

int state_history_alive_save(const char *state_dir, int64_t ms)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld\n", (long long)ms);
	return record_save(state_dir, STATE_HISTORY_DIR, STATE_HISTORY_ALIVE, v);
}

int state_history_alive_load(const char *state_dir, int64_t *ms)
{
	char v[32], *end;
	long long x;
	int rc = record_load(state_dir, STATE_HISTORY_DIR, STATE_HISTORY_ALIVE, v, sizeof(v));

	if (rc != 0)
		return rc;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (end == v || *end || errno || x <= 0)
		return -EINVAL;
	*ms = x;
	return 0;
}

int state_history_alive_clear(const char *state_dir)
{
	return record_remove(state_dir, STATE_HISTORY_DIR, STATE_HISTORY_ALIVE);
}

/* Up to max bytes from the end of a regular file (not followed if a symlink) into out.
 * 0, -ENOENT, -EINVAL (not a regular file) or -errno. */
static int read_tail(const char *path, size_t max, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	if (rc == 0) {
		off_t from = st.st_size > (off_t)max ? st.st_size - (off_t)max : 0;
		size_t want = (size_t)(st.st_size - from), got = 0;
		buf_reserve(out, want + 1);
		while (got < want) {
			ssize_t n = pread(fd, out->data + out->len + got, want - got, from + (off_t)got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;	/* truncated meanwhile: what was read is all there is */
			got += (size_t)n;
		}
		out->len += got;
		out->data[out->len] = '\0';
		/* started mid-file: the first (partial) line is not a record */
		if (from > 0 && got) {
			char *nl = memchr(out->data, '\n', out->len);
			size_t skip = nl ? (size_t)(nl - out->data) + 1 : out->len;
			memmove(out->data, out->data + skip, out->len - skip + 1);
			out->len -= skip;
		}
	}
	close(fd);
	return rc;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* The state the end of a timeline file leaves the tunnel in (UNKNOWN if it tells nothing). */
static enum history_state tail_state(const char *path)
{
	struct history h = { 0 };
	struct buf b;
	enum history_state s = HISTORY_S_UNKNOWN;

	buf_init(&b);
	if (read_tail(path, STATE_HISTORY_TAIL_BYTES, &b) == 0)
		history_parse(&h, b.data ? b.data : "", b.len);
	for (size_t i = 0; i < h.n; i++)
		s = history_next_state(s, h.v[i].kind);
	history_free(&h);
	buf_free(&b);
	return s;
}

/* Write all of len bytes at the end of fd (O_APPEND) and make them durable. 0 or -errno. */
static int append_durable(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return fdatasync(fd) != 0 ? -errno : 0;
}

/* Under the lock: rotate if the record would pass the cap, then append. 0, 1 or -errno. */
static int history_append_locked(const char *dir, const char *name, const struct history_rec *r, bool dedupe)
{
	char *path = xasprintf("%s/%s%s", dir, name, STATE_HISTORY_EXT);
	char *old = xasprintf("%s/%s%s", dir, name, STATE_HISTORY_OLD);
	char line[HISTORY_LINE_MAX + 1];
	size_t len = history_encode(r, line + 1);
	struct stat st;
	int fd = -1, rc = 0;

	if (dedupe && (r->kind == HISTORY_UP || r->kind == HISTORY_DOWN)) {
		enum history_state s = tail_state(path);
		if (s == HISTORY_S_UNKNOWN)
			s = tail_state(old);	/* just rotated: the old file ends where this begins */
		if (s == history_next_state(s, r->kind) && s != HISTORY_S_UNKNOWN) {
			rc = 1;
			goto out;
		}
	}
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size + len + 1 > STATE_HISTORY_MAX_BYTES) {
		if (rename(path, old) != 0) {
			rc = -errno;
			goto out;
		}
	}
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	/* a crash cut the last record short: end that line, so it cannot swallow this one */
	line[0] = '\n';
	bool torn = false;
	if (st.st_size > 0) {
		char last;
		torn = pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
	}
	rc = append_durable(fd, torn ? line : line + 1, torn ? len + 1 : len);
	/* a new file (first record, or just rotated) is durable once its directory entry is */
	if (rc == 0 && st.st_size == 0)
		rc = fsync_dir(dir);
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = -errno;
	free(path);
	free(old);
	return rc;
}

int state_history_append(const char *state_dir, const char *name, const struct history_rec *r, bool dedupe)
{
	char *dir, *lock;
	int rc, lfd;

	if (!name_ok(name) || name[0] == '.')
		return -EINVAL;
	rc = state_dir_ok(state_dir, STATE_HISTORY_DIR, true);
	if (rc != 0)
		return rc;
	dir = xasprintf("%s/%s", state_dir, STATE_HISTORY_DIR);
	lock = xasprintf("%s/%s", dir, STATE_HISTORY_LOCK);
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0) {
		rc = -errno;
	} else if (flock(lfd, LOCK_EX) != 0) {
		rc = -errno;
	} else {
		rc = history_append_locked(dir, name, r, dedupe);
	}
	if (lfd >= 0)
		close(lfd);	/* drops the lock */
	free(lock);
	free(dir);
	return rc;
}

int state_history_load(const char *state_dir, const char *name, struct history *h)
{
	static const char *const ext[] = { STATE_HISTORY_OLD, STATE_HISTORY_EXT };
	int rc, found = 0;

	if (!name_ok(name) || name[0] == '.')
		return -EINVAL;
	rc = state_dir_ok(state_dir, STATE_HISTORY_DIR, false);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
		char *path = xasprintf("%s/%s/%s%s", state_dir, STATE_HISTORY_DIR, name, ext[i]);
		struct buf b;
		buf_init(&b);
		rc = read_tail(path, STATE_HISTORY_MAX_BYTES + HISTORY_LINE_MAX, &b);
		free(path);
		if (rc == 0) {
			found++;
			history_parse(h, b.data ? b.data : "", b.len);
		}
		buf_free(&b);
		if (rc != 0 && rc != -ENOENT)
			return rc;
	}
	history_sort(h);
	return found ? 0 : -ENOENT;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_history_names(const char *state_dir, char ***names, size_t *n)
{
	char *dir = xasprintf("%s/%s", state_dir, STATE_HISTORY_DIR);
	DIR *d;
	struct dirent *e;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	d = state_dir_ok(state_dir, STATE_HISTORY_DIR, false) == 0 ? opendir(dir) : NULL;
	free(dir);
	if (!d)
		return 0;	/* no timeline yet (or no state directory): none */
	while ((e = readdir(d))) {
		const char *dot = strstr(e->d_name, STATE_HISTORY_EXT);
		if (e->d_name[0] == '.' || !dot || (strcmp(dot, STATE_HISTORY_EXT) != 0 && strcmp(dot, STATE_HISTORY_OLD) != 0))
			continue;
		char *name = xstrndup(e->d_name, (size_t)(dot - e->d_name));
		bool seen = false;
		for (size_t i = 0; i < *n && !seen; i++)
			seen = strcmp((*names)[i], name) == 0;
		if (seen) {
			free(name);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xrealloc(*names, cap * sizeof(**names));
		}
		(*names)[(*n)++] = name;
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
}
