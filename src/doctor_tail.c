/* doctor_tail.c - the recent end of a log into a doctor analysis, with true line numbers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor_log.h"
#include "doctor_read.h"
#include "doctor_tail.h"
#include "util.h"

/* Read exactly len bytes at off (short only at end of file). Returns bytes read or -errno. */
static ssize_t read_at(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Move the cursor forward to the first line start at or after target, counting lines. */
static int cursor_advance(int fd, struct doctor_tail *cur, off_t target)
{
	char *buf = xmalloc(DOCTOR_READ_BLOCK);
	int rc = 0;

	while (cur->off < target) {
		size_t want = DOCTOR_READ_BLOCK;
		ssize_t n = read_at(fd, buf, want, cur->off);
		const char *p, *end, *last = NULL;

		if (n <= 0) {
			rc = n < 0 ? (int)n : 0;
			break;
		}
		end = buf + n;
		/* count newlines up to target; the cursor lands just after the last one counted */
		for (p = buf; p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
			cur->line++;
			last = p;
			if (cur->off + (p - buf) + 1 >= target)
				break;
		}
		if (!last)
			break;	/* a line longer than a block: stop short, read from here */
		cur->off += last - buf + 1;
		if ((size_t)n < want && (!p || p >= end))
			break;
	}
	free(buf);
	return rc;
}

int doctor_tail_read(struct doctor *d, const char *path, size_t max, struct doctor_tail *cur)
{
	struct stat st;
	unsigned input;
	char *buf = NULL;
	size_t len;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (st.st_dev != cur->dev || st.st_ino != cur->ino || st.st_size < cur->off) {
		memset(cur, 0, sizeof(*cur));
		cur->dev = st.st_dev;
		cur->ino = st.st_ino;
	}
	if (st.st_size - cur->off > (off_t)max) {
		rc = cursor_advance(fd, cur, st.st_size - (off_t)max);
		if (rc)
			goto out;
	}
	len = (size_t)(st.st_size - cur->off);
	buf = xmalloc(len + 1);
	n = read_at(fd, buf, len, cur->off);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	input = doctor_add_input(d, path);
	for (size_t i = 0, lineno = cur->line + 1; i < (size_t)n; lineno++) {
		char *nl = memchr(buf + i, '\n', (size_t)n - i);
		size_t ll = nl ? (size_t)(nl - (buf + i)) : (size_t)n - i;
		struct doctor_line l;

		if (!nl)
			break;	/* a line still being written: next time */
		if (doctor_log_parse(buf + i, ll > DOCTOR_MAX_LINE ? DOCTOR_MAX_LINE : ll, &l) == 0)
			doctor_feed(d, input, lineno, &l, buf + i, ll > DOCTOR_MAX_LINE ? DOCTOR_MAX_LINE : ll);
		i += ll + 1;
	}
out:
	free(buf);
	close(fd);
	return rc;
}
