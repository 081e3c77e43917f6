/* state.c - manual-down marks and the last applied tunnel file in the state directory. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define STATE_DOWN_DIR "down"			/* one empty file per connection marked down */
#define STATE_APPLIED_FILE "applied.conf"	/* copy of the last applied tunnel file */

/* Connection names are conN / conN_M / descriptions: refuse anything that is not a plain file name. */
static bool name_ok(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

bool state_is_down(const char *state_dir, const char *name)
{
	char *path;
	bool down;

	if (!name_ok(name))
		return false;
	path = xasprintf("%s/%s/%s", state_dir, STATE_DOWN_DIR, name);
	down = access(path, F_OK) == 0;
	free(path);
	return down;
}

int state_set_down(const char *state_dir, const char *name, bool down)
{
	char *dir, *path;
	int rc = 0;

	if (!name_ok(name))
		return -EINVAL;
	dir = xasprintf("%s/%s", state_dir, STATE_DOWN_DIR);
	path = xasprintf("%s/%s", dir, name);
	if (down) {
		rc = mkdir_p(dir, 0700);
		if (rc == 0)
			rc = file_write_atomic(path, "", 0, 0600);
	} else if (unlink(path) != 0 && errno != ENOENT) {
		rc = -errno;
	}
	free(dir);
	free(path);
	return rc;
}

int state_save_applied(const char *state_dir, const char *tunnel_file)
{
	struct buf data;
	char *path;
	int rc;

	buf_init(&data);
	rc = file_read_all(tunnel_file, TC_MAX_FILE_SIZE, &data);
	if (rc == 0)
		rc = mkdir_p(state_dir, 0700);
	if (rc == 0) {
		path = xasprintf("%s/%s", state_dir, STATE_APPLIED_FILE);
		rc = file_write_atomic(path, data.data, data.len, 0600);
		free(path);
	}
	buf_free_secret(&data);
	return rc;
}
