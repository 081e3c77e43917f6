/* doctor_read.c - stream log files into the doctor, oldest line first, in bounded memory.
 *
 * Newest-first files (copied from pfSense's or OPNsense's log GUI) are read backwards in
 * blocks with pread: a first pass counts the lines (so evidence keeps the file's real line
 * numbers), the second walks from the end. That keeps memory at two buffers whatever the
 * file size, where an index of line offsets would grow with the file. Pipes are spooled to
 * an unlinked temporary file first, so they can be probed and, if needed, reversed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "doctor_log.h"
#include "doctor_read.h"
#include "util.h"

struct reader {
	struct doctor *d;
	unsigned input;
	char *blk;		/* DOCTOR_READ_BLOCK */
	char *carry;		/* DOCTOR_MAX_LINE: a line that spans blocks */
	size_t clen;
};

static void feed(struct reader *r, unsigned long no, const char *p, size_t n)
{
	struct doctor_line l;

	if (n > DOCTOR_MAX_LINE)
		n = DOCTOR_MAX_LINE;
	if (doctor_log_parse(p, n, &l) == 0)
		doctor_feed(r->d, r->input, no, &l, p, n);
}

static void carry_append(struct reader *r, const char *p, size_t k)
{
	size_t room = DOCTOR_MAX_LINE - r->clen;
	if (k > room)
		k = room;	/* overlong line: keep its beginning */
	memcpy(r->carry + r->clen, p, k);
	r->clen += k;
}

static void carry_prepend(struct reader *r, const char *p, size_t k)
{
	if (k >= DOCTOR_MAX_LINE) {
		memcpy(r->carry, p, DOCTOR_MAX_LINE);
		r->clen = DOCTOR_MAX_LINE;
		return;
	}
	size_t keep = r->clen < DOCTOR_MAX_LINE - k ? r->clen : DOCTOR_MAX_LINE - k;
	memmove(r->carry + k, r->carry, keep);
	memcpy(r->carry, p, k);
	r->clen = k + keep;
}

static ssize_t read_full(int fd, char *buf, size_t n, off_t off, bool positioned)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = positioned ? pread(fd, buf + got, n - got, off + (off_t)got)
				       : read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static int read_forward(struct reader *r, int fd)
{
	unsigned long no = 0;
	bool open_line = false;

	for (;;) {
		ssize_t k = read_full(fd, r->blk, DOCTOR_READ_BLOCK, 0, false);
		if (k < 0)
			return (int)k;
		if (k == 0)
			break;
		const char *p = r->blk, *end = r->blk + k;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl) {
				carry_append(r, p, (size_t)(end - p));
				open_line = true;
				break;
			}
			no++;
			if (open_line) {
				carry_append(r, p, (size_t)(nl - p));
				feed(r, no, r->carry, r->clen);
				r->clen = 0;
				open_line = false;
			} else {
				feed(r, no, p, (size_t)(nl - p));
			}
			p = nl + 1;
		}
	}
	if (open_line)
		feed(r, no + 1, r->carry, r->clen);
	return 0;
}

static int read_backward(struct reader *r, int fd, off_t size)
{
	unsigned long n_lines = 0;
	char last = '\n';
	off_t pos;

	/* pass 1: count lines for real line numbers */
	for (pos = 0; pos < size;) {
		ssize_t k = read_full(fd, r->blk, DOCTOR_READ_BLOCK, pos, true);
		if (k <= 0)
			return k < 0 ? (int)k : -EIO;
		for (const char *p = r->blk, *e = r->blk + k; (p = memchr(p, '\n', (size_t)(e - p))); p++)
			n_lines++;
		last = r->blk[k - 1];
		pos += k;
	}
	if (last != '\n')
		n_lines++;

	/* pass 2: from the end, one block at a time */
	unsigned long no = n_lines;
	bool skip_final_nl = last == '\n';
	r->clen = 0;
	for (pos = size; pos > 0;) {
		size_t k = pos > (off_t)DOCTOR_READ_BLOCK ? DOCTOR_READ_BLOCK : (size_t)pos;
		pos -= (off_t)k;
		ssize_t got = read_full(fd, r->blk, k, pos, true);
		if (got != (ssize_t)k)
			return got < 0 ? (int)got : -EIO;
		const char *end = r->blk + k;
		if (skip_final_nl) {
			end--;
			skip_final_nl = false;
		}
		for (;;) {
			const char *nl = memrchr(r->blk, '\n', (size_t)(end - r->blk));
			if (!nl) {
				carry_prepend(r, r->blk, (size_t)(end - r->blk));
				break;
			}
			carry_prepend(r, nl + 1, (size_t)(end - nl - 1));
			feed(r, no--, r->carry, r->clen);
			r->clen = 0;
			end = nl;
		}
	}
	if (no > 0)
		feed(r, no, r->carry, r->clen);
	return 0;
}

/* Newest-first when the probed timestamps go down more often than up. */
static int probe_newest_first(struct reader *r, int fd, bool *newest_first)
{
	ssize_t k = read_full(fd, r->blk, DOCTOR_READ_BLOCK, 0, true);
	unsigned up = 0, down = 0, seen = 0;
	bool have = false;
	int64_t prev = 0;

	if (k < 0)
		return (int)k;
	for (const char *p = r->blk, *end = r->blk + k; p < end && seen < DOCTOR_ORDER_PROBE_LINES;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		struct doctor_line l;
		size_t n = (size_t)(nl - p) > DOCTOR_MAX_LINE ? DOCTOR_MAX_LINE : (size_t)(nl - p);
		if (doctor_log_parse(p, n, &l) == 0 && l.has_time) {
			if (have && l.time > prev)
				up++;
			else if (have && l.time < prev)
				down++;
			prev = l.time;
			have = true;
			seen++;
		}
		p = nl + 1;
	}
	*newest_first = down > up && down >= 2;
	return 0;
}

/* Copy a stream to an unlinked temporary file; returns its fd or -errno. */
static int spool(struct reader *r, int fd)
{
	FILE *tf = tmpfile();
	int out;

	if (!tf)
		return -errno;
	out = dup(fileno(tf));
	fclose(tf);
	if (out < 0)
		return -errno;
	for (;;) {
		ssize_t k = read_full(fd, r->blk, DOCTOR_READ_BLOCK, 0, false);
		if (k < 0 || (k > 0 && write(out, r->blk, (size_t)k) != k)) {
			int e = k < 0 ? (int)k : -EIO;
			close(out);
			return e;
		}
		if (k == 0)
			break;
	}
	return out;
}

int doctor_read_path(struct doctor *d, const char *path, bool *newest_first)
{
	struct reader r = { .d = d };
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int err = 0, work = -1;
	struct stat st;

	*newest_first = false;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto out;
	}
	r.blk = xmalloc(DOCTOR_READ_BLOCK);
	r.carry = xmalloc(DOCTOR_MAX_LINE);
	work = fd;
	if (!S_ISREG(st.st_mode)) {
		work = spool(&r, fd);
		if (work < 0) {
			err = work;
			goto out;
		}
		if (fstat(work, &st) < 0) {
			err = -errno;
			goto out;
		}
	}
	r.input = doctor_add_input(d, is_stdin ? "(stdin)" : path);
	err = probe_newest_first(&r, work, newest_first);
	if (err)
		goto out;
	if (*newest_first) {
		err = read_backward(&r, work, st.st_size);
	} else if (lseek(work, 0, SEEK_SET) < 0) {
		err = -errno;
	} else {
		err = read_forward(&r, work);
	}
out:
	if (work >= 0 && work != fd)
		close(work);
	if (!is_stdin && fd >= 0)
		close(fd);
	free(r.blk);
	free(r.carry);
	return err;
}

/* A numeric journal field of the current entry, or -1. */
static long journal_number(sd_journal *j, const char *field)
{
	const void *data;
	size_t len, flen = strlen(field);
	long v = 0;

	if (sd_journal_get_data(j, field, &data, &len) < 0 || len <= flen + 1)
		return -1;
	for (const char *p = (const char *)data + flen + 1, *e = (const char *)data + len; p < e; p++) {
		if (*p < '0' || *p > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

/* charon-systemd logs the thread, group and IKE SA as journal fields, not in MESSAGE: take
 * them from there (name is the buffer l->name will point into). */
static void journal_fields(sd_journal *j, struct doctor_line *l, char *name, size_t cap)
{
	const void *data;
	size_t len;
	long v;

	if ((v = journal_number(j, "THREAD")) >= 0)
		l->thread = (int)v;
	if ((v = journal_number(j, "LEVEL")) >= 0)
		l->level = (int)v;
	if ((v = journal_number(j, "IKE_SA_UNIQUE_ID")) > 0)
		l->sa_id = (unsigned)v;
	if (sd_journal_get_data(j, "GROUP", &data, &len) >= 0 && len == 9)
		memcpy(l->group, (const char *)data + 6, 3);
	if (sd_journal_get_data(j, "IKE_SA_NAME", &data, &len) >= 0 && len > 12 && len - 12 < cap) {
		memcpy(name, (const char *)data + 12, len - 12);
		l->name = name;
		l->name_len = len - 12;
	}
}

int doctor_read_journal(struct doctor *d, const char *dir, uint64_t since_usec)
{
	static const char *const ids[] = DOCTOR_JOURNAL_IDS;
	sd_journal *j = NULL;
	unsigned input;
	unsigned long no = 0;
	int r;

	r = dir ? sd_journal_open_directory(&j, dir, 0) : sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		char match[64];
		snprintf(match, sizeof(match), "SYSLOG_IDENTIFIER=%s", ids[i]);
		if ((r = sd_journal_add_match(j, match, 0)) < 0 ||
		    (r = sd_journal_add_disjunction(j)) < 0)
			goto out;
	}
	r = since_usec ? sd_journal_seek_realtime_usec(j, since_usec) : sd_journal_seek_head(j);
	if (r < 0)
		goto out;
	input = doctor_add_input(d, dir ? dir : "journal");
	while ((r = sd_journal_next(j)) > 0) {
		const void *data;
		size_t len;
		uint64_t usec;
		struct doctor_line l;
		char name[DOCTOR_JOURNAL_NAME_MAX];

		no++;
		if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < 8)
			continue;
		/* the value after "MESSAGE=", bounded like a file's line */
		const char *msg = (const char *)data + 8;
		len -= 8;
		if (len > DOCTOR_MAX_LINE)
			len = DOCTOR_MAX_LINE;
		if (doctor_log_parse(msg, len, &l) < 0)
			continue;
		if (l.thread < 0) {
			/* charon-systemd: MESSAGE is charon's message itself, indentation included
			 * (its config dump nests by leading blanks); the rest is in fields */
			l.msg = msg;
			l.msg_len = len;
			journal_fields(j, &l, name, sizeof(name));
		}
		if (sd_journal_get_realtime_usec(j, &usec) >= 0) {
			l.has_time = true;
			l.time = (int64_t)(usec / 1000000);
		}
		doctor_feed(d, input, no, &l, msg, len);
	}
out:
	sd_journal_close(j);
	return r < 0 ? r : 0;
}
