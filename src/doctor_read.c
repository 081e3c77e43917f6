/* doctor_read.c - stream log files into the doctor, oldest line first, in bounded memory.
 *
 * Newest-first files (copied from pfSense's or OPNsense's log GUI) are read backwards in
 * blocks with pread: a first pass counts the lines (so evidence keeps the file's real line
 * numbers), the second walks from the end. That keeps memory at a few buffers whatever the
 * file size, where an index of line offsets would grow with the file. Standard input, pipes
 * and FIFOs are spooled to an unlinked temporary file first (at most DOCTOR_SPOOL_MAX), so
 * they can be probed and, if needed, reversed.
 *
 * Pastes that a mail client, forum or terminal hard-wrapped are joined back: in a file
 * whose longest line is a plausible wrap width, a line without any prefix that follows a
 * line the wrapper must have cut (it reached the width, or the next word would not have
 * fitted) continues that line. The joined line is fed under its first line's number. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "doctor_log.h"
#include "doctor_read.h"
#include "util.h"

/* Tab stops as terminals and wrappers count them. */
#define DOCTOR_TAB_STOP 8

/* A large file is read on two threads: this one reads, splits, unwraps and parses its lines
 * and classifies a share of them, a worker classifies the rest and feeds them all to the
 * analysis in order. Lines travel in batches with copies of their text,
 * DOCTOR_PIPE_BATCHES of them at most, so memory stays bounded. */
#define DOCTOR_PIPE_LINES 512
#define DOCTOR_PIPE_ARENA (512u * 1024u)
#define DOCTOR_PIPE_BATCHES 4
/* One line in this many is classified by the reader, the others by the worker: measured on
 * bench/doctor.sh's log, parsing takes the reader about 47 ms, classifying 60 ms and feeding
 * 25 ms (of 130 ms on one thread), so a third of the classifying evens them out. */
#define DOCTOR_PIPE_READER_SHARE 3

struct pipe_rec {
	unsigned long no;
	struct doctor_line l;
	struct doctor_event e;
	bool classified;	/* e is set (the reader's share of the classifying) */
	const char *raw;
	size_t raw_len;
};

struct pipe_batch {
	struct pipe_rec rec[DOCTOR_PIPE_LINES];
	size_t n;
	char *arena;		/* DOCTOR_PIPE_ARENA: the lines' text (raw, and a message or
				 * name that was not in it) */
	size_t used;
};

struct pipeline {
	struct doctor *d;
	unsigned input;
	pthread_t worker;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pipe_batch b[DOCTOR_PIPE_BATCHES];
	unsigned prod, cons, full;	/* batch being filled, being fed, handed over */
	bool done;
};

struct reader {
	struct pipeline *pl;	/* NULL: lines go straight to doctor_feed */
	struct doctor *d;
	unsigned input;
	char *blk;		/* DOCTOR_READ_BLOCK */
	char *carry;		/* DOCTOR_MAX_LINE: a line that spans blocks */
	size_t clen;
	char *text;		/* DOCTOR_MAX_LINE: a JSON message decoded */
	/* wrapped pastes: the logical line being joined */
	size_t wrap;		/* the paste's width; 0: not wrapped, lines go straight through */
	char *join;		/* DOCTOR_MAX_LINE */
	size_t jlen;
	unsigned long jno;	/* its first physical line */
	size_t jlast;		/* forward: columns of its last piece */
	bool jword;		/* forward: its last piece was cut in a word */
	bool jcont;		/* backward: its first piece is a continuation */
	bool have;
	/* journalctl -o export: an entry's fields go with its MESSAGE line */
	bool export;
	struct export_entry *ent;
};

/* The fields of one journal export entry the doctor uses (charon-systemd puts the thread,
 * group and IKE SA there instead of into MESSAGE). */
struct export_entry {
	char msg[DOCTOR_MAX_LINE];	/* the MESSAGE= line */
	size_t msg_len;
	unsigned long no;		/* its line number */
	bool have_msg;
	long thread, level, id;
	int64_t usec;
	char group[4];
	char name[DOCTOR_JOURNAL_NAME_MAX];
	size_t name_len;
};

/* What the probe learns from the start of a file. */
struct probe {
	bool newest_first;
	size_t width;		/* longest line in columns, trailing blanks not counted */
	unsigned prefixed, bare;
	bool export;		/* journalctl -o export (entries start with __CURSOR=) */
};

/* The worker: feed the handed-over batches in order until the reader is done. */
static void *pipe_worker(void *arg)
{
	struct pipeline *pl = arg;

	for (;;) {
		pthread_mutex_lock(&pl->mu);
		while (!pl->full && !pl->done)
			pthread_cond_wait(&pl->cv, &pl->mu);
		if (!pl->full) {
			pthread_mutex_unlock(&pl->mu);
			return NULL;
		}
		pthread_mutex_unlock(&pl->mu);
		struct pipe_batch *b = &pl->b[pl->cons];
		for (size_t i = 0; i < b->n; i++) {
			struct pipe_rec *rc = &b->rec[i];
			if (!rc->classified)
				doctor_classify(pl->d, &rc->l, &rc->e);
			doctor_feed_event(pl->d, pl->input, rc->no, &rc->l, &rc->e, rc->raw, rc->raw_len);
		}
		b->n = 0;
		b->used = 0;
		pthread_mutex_lock(&pl->mu);
		pl->cons = (pl->cons + 1) % DOCTOR_PIPE_BATCHES;
		pl->full--;
		pthread_cond_broadcast(&pl->cv);
		pthread_mutex_unlock(&pl->mu);
	}
}

/* Start a pipeline for input; NULL when no thread can be had (then lines go straight). */
static struct pipeline *pipe_start(struct doctor *d, unsigned input)
{
	struct pipeline *pl = xcalloc(1, sizeof(*pl));

	pl->d = d;
	pl->input = input;
	for (size_t i = 0; i < DOCTOR_PIPE_BATCHES; i++)
		pl->b[i].arena = xmalloc(DOCTOR_PIPE_ARENA);
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->cv, NULL);
	if (pthread_create(&pl->worker, NULL, pipe_worker, pl) != 0) {
		for (size_t i = 0; i < DOCTOR_PIPE_BATCHES; i++)
			free(pl->b[i].arena);
		pthread_mutex_destroy(&pl->mu);
		pthread_cond_destroy(&pl->cv);
		free(pl);
		return NULL;
	}
	return pl;
}

/* Hand the batch being filled to the worker and wait for a free one. */
static void pipe_hand_over(struct pipeline *pl)
{
	pthread_mutex_lock(&pl->mu);
	pl->full++;
	pl->prod = (pl->prod + 1) % DOCTOR_PIPE_BATCHES;
	pthread_cond_broadcast(&pl->cv);
	while (pl->full == DOCTOR_PIPE_BATCHES)
		pthread_cond_wait(&pl->cv, &pl->mu);
	pthread_mutex_unlock(&pl->mu);
}

/* Hand over what is left, let the worker finish, free the pipeline. */
static void pipe_finish(struct pipeline *pl)
{
	if (!pl)
		return;
	if (pl->b[pl->prod].n)
		pipe_hand_over(pl);
	pthread_mutex_lock(&pl->mu);
	pl->done = true;
	pthread_cond_broadcast(&pl->cv);
	pthread_mutex_unlock(&pl->mu);
	pthread_join(pl->worker, NULL);
	for (size_t i = 0; i < DOCTOR_PIPE_BATCHES; i++)
		free(pl->b[i].arena);
	pthread_mutex_destroy(&pl->mu);
	pthread_cond_destroy(&pl->cv);
	free(pl);
}

/* Copy text into a batch's arena (room was checked). */
static const char *arena_add(struct pipe_batch *b, const char *p, size_t n)
{
	char *at = b->arena + b->used;

	memcpy(at, p, n);
	b->used += n;
	return at;
}

/* A parsed line to the analysis: straight, or queued for the worker with copies of the text
 * it points into (the reader's buffers are reused). */
static void sink(struct reader *r, unsigned long no, const struct doctor_line *l, const char *p,
		 size_t n)
{
	struct pipeline *pl = r->pl;

	if (!pl) {
		doctor_feed(r->d, r->input, no, l, p, n);
		return;
	}
	bool msg_in = l->msg >= p && l->msg + l->msg_len <= p + n;
	bool name_in = !l->name || (l->name >= p && l->name + l->name_len <= p + n);
	size_t need = n + (msg_in ? 0 : l->msg_len) + (name_in ? 0 : l->name_len);
	struct pipe_batch *b = &pl->b[pl->prod];
	if (b->n == DOCTOR_PIPE_LINES || b->used + need > DOCTOR_PIPE_ARENA) {
		pipe_hand_over(pl);
		b = &pl->b[pl->prod];
	}
	struct pipe_rec *rc = &b->rec[b->n++];
	rc->no = no;
	rc->raw = arena_add(b, p, n);
	rc->raw_len = n;
	rc->l = *l;
	rc->l.msg = msg_in ? rc->raw + (l->msg - p) : arena_add(b, l->msg, l->msg_len);
	if (l->name)
		rc->l.name = name_in ? rc->raw + (l->name - p) : arena_add(b, l->name, l->name_len);
	/* the reader classifies a share of the lines, so both threads have as much to do */
	rc->classified = b->n % DOCTOR_PIPE_READER_SHARE == 0;
	if (rc->classified)
		doctor_classify(r->d, &rc->l, &rc->e);
}

/* Parse one logical line and feed it; JSON messages are decoded first. */
static inline void feed(struct reader *r, unsigned long no, const char *p, size_t n)
{
	struct doctor_line l;

	if (n > DOCTOR_MAX_LINE)
		n = DOCTOR_MAX_LINE;
	if (doctor_log_parse(p, n, &l) != 0)
		return;
	if (l.msg_escaped) {
		l.msg_len = doctor_log_json_unescape(l.msg, l.msg_len, r->text, DOCTOR_MAX_LINE);
		l.msg = r->text;
	}
	sink(r, no, &l, p, n);
}

/* Length of a line without its CR. */
static size_t crless_len(const char *p, size_t n)
{
	while (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* Length of a line without its CR and trailing blanks. */
static size_t trimmed_len(const char *p, size_t n)
{
	n = crless_len(p, n);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n;
}

/* Columns the first n bytes of a line take on a screen, as wrappers count them: a tab to the
 * next tab stop, a UTF-8 character as one. */
static size_t columns(const char *p, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\t')
			col = (col / DOCTOR_TAB_STOP + 1) * DOCTOR_TAB_STOP;
		else if (((unsigned char)p[i] & 0xc0) != 0x80)
			col++;
	}
	return col;
}

/* A line with no prefix of any format: a wrapped line's continuation, if one was cut. */
static bool is_bare(const char *p, size_t n)
{
	struct doctor_line l;

	if (n > DOCTOR_MAX_LINE)
		n = DOCTOR_MAX_LINE;
	return doctor_log_parse(p, n, &l) == 0 && l.fmt == DOCTOR_FMT_PLAIN;
}

/* Was a line of prev columns cut before next by a wrapper of the given width? Yes when it
 * reached the width, or when next's first word (and the blank after it, which some
 * wrappers keep room for) would not have fitted after it. */
static bool was_cut(size_t prev, const char *next, size_t n, size_t width)
{
	size_t word = 0;

	if (prev == 0 || n == 0)
		return false;
	while (word < n && next[word] != ' ' && next[word] != '\t')
		word++;
	return prev >= width || prev + 1 + columns(next, word) + 1 > width;
}

/* Did the wrapper cut a word at the end of this piece (t bytes without trailing blanks, n
 * with them, c columns)? Only a piece that fills the width and does not end at a blank. */
static bool cut_in_word(size_t t, size_t n, size_t c, size_t width)
{
	return t == n && c >= width;
}

/* Append (or prepend) a piece to the joined line, after (before) a piece that was cut in a
 * word (nothing between) or at a blank (one blank between). */
static void join_piece(struct reader *r, const char *p, size_t n, bool in_word, bool front)
{
	size_t sep = in_word ? 0 : 1, room = DOCTOR_MAX_LINE - r->jlen;

	if (front) {
		/* p is the earlier piece: prev is its own length */
		if (n + sep > DOCTOR_MAX_LINE)
			n = DOCTOR_MAX_LINE - sep;
		size_t keep = r->jlen < DOCTOR_MAX_LINE - n - sep ? r->jlen : DOCTOR_MAX_LINE - n - sep;
		memmove(r->join + n + sep, r->join, keep);
		memcpy(r->join, p, n);
		if (sep)
			r->join[n] = ' ';
		r->jlen = n + sep + keep;
		return;
	}
	if (sep && room > 0) {
		r->join[r->jlen++] = ' ';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(r->join + r->jlen, p, n);
	r->jlen += n;
}

static void join_flush(struct reader *r)
{
	if (r->have)
		feed(r, r->jno, r->join, r->jlen);
	r->have = false;
}

static void join_start(struct reader *r, unsigned long no, const char *p, size_t n)
{
	if (n > DOCTOR_MAX_LINE)
		n = DOCTOR_MAX_LINE;
	memcpy(r->join, p, n);
	r->jlen = n;
	r->jno = no;
	r->have = true;
}

/* A decimal journal field value; -1 when it is not one (or absurdly large). */
static long export_number(const char *v, size_t n)
{
	long x = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

static void export_reset(struct export_entry *e)
{
	e->have_msg = false;
	e->msg_len = 0;
	e->thread = e->level = e->id = e->usec = -1;
	e->group[0] = '\0';
	e->name_len = 0;
}

/* The end of an entry: its MESSAGE with the entry's fields, as --journal reads them. */
static void export_flush(struct reader *r)
{
	struct export_entry *e = r->ent;
	struct doctor_line l;

	if (e->have_msg && doctor_log_parse(e->msg, e->msg_len, &l) == 0) {
		if (l.thread < 0) {
			l.thread = (int)(e->thread < 1000 ? e->thread : -1);
			l.level = (int)(e->level < 10 ? e->level : -1);
			memcpy(l.group, e->group, sizeof(l.group));
			if (e->id > 0 && e->id <= (long)UINT32_MAX)
				l.sa_id = (unsigned)e->id;
			if (e->name_len) {
				l.name = e->name;
				l.name_len = e->name_len;
			}
		}
		if (e->usec >= 0) {
			l.has_time = true;
			l.time = (int64_t)(e->usec / 1000000);
		}
		sink(r, e->no, &l, e->msg, e->msg_len);
	}
	export_reset(e);
}

/* One line of a journalctl -o export file: a field of the current entry, or the blank line
 * that ends it. Binary fields (a name line, then a length and bytes) are passed over. */
static void push_export(struct reader *r, unsigned long no, const char *p, size_t n)
{
	static const struct {
		const char *key;
		size_t len;
	} keys[] = {
#define EK(s) { s "=", sizeof(s) }
		EK("MESSAGE"), EK("THREAD"), EK("LEVEL"), EK("IKE_SA_UNIQUE_ID"),
		EK("__REALTIME_TIMESTAMP"), EK("GROUP"), EK("IKE_SA_NAME"),
#undef EK
	};
	struct export_entry *e = r->ent;
	size_t i;

	n = crless_len(p, n);
	if (n == 0) {
		export_flush(r);
		return;
	}
	if (n > DOCTOR_MAX_LINE)
		n = DOCTOR_MAX_LINE;
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (n >= keys[i].len && memcmp(p, keys[i].key, keys[i].len) == 0)
			break;
	const char *v = p + (i < ARRAY_SIZE(keys) ? keys[i].len : 0);
	size_t vn = n - (size_t)(v - p);
	switch (i) {
	case 0:
		memcpy(e->msg, p, n);
		e->msg_len = n;
		e->no = no;
		e->have_msg = true;
		break;
	case 1: e->thread = export_number(v, vn); break;
	case 2: e->level = export_number(v, vn); break;
	case 3: e->id = export_number(v, vn); break;
	case 4: e->usec = export_number(v, vn); break;
	case 5:
		if (vn == 3) {
			memcpy(e->group, v, 3);
			e->group[3] = '\0';
		}
		break;
	case 6:
		if (vn < sizeof(e->name)) {
			memcpy(e->name, v, vn);
			e->name_len = vn;
		}
		break;
	default:
		break;
	}
}

/* One physical line in file order. */
static void push_forward(struct reader *r, unsigned long no, const char *p, size_t n)
{
	if (r->export) {
		push_export(r, no, p, n);
		return;
	}
	if (!r->wrap) {
		feed(r, no, p, n);
		return;
	}
	size_t t = trimmed_len(p, n), c = columns(p, t);
	if (r->have && was_cut(r->jlast, p, t, r->wrap) && is_bare(p, n)) {
		r->jlen = trimmed_len(r->join, r->jlen);
		join_piece(r, p, t, r->jword, false);
	} else {
		join_flush(r);
		join_start(r, no, p, n);
	}
	r->jlast = c;
	r->jword = cut_in_word(t, crless_len(p, n), c, r->wrap);
}

/* One physical line, last line first. */
static void push_backward(struct reader *r, unsigned long no, const char *p, size_t n)
{
	if (!r->wrap) {
		feed(r, no, p, n);
		return;
	}
	size_t t = trimmed_len(p, n), c = columns(p, t);
	if (r->have && r->jcont && was_cut(c, r->join, r->jlen, r->wrap)) {
		join_piece(r, p, t, cut_in_word(t, crless_len(p, n), c, r->wrap), true);
		r->jno = no;
		r->jcont = is_bare(p, n);
		return;
	}
	join_flush(r);
	join_start(r, no, p, n);
	r->jcont = is_bare(p, n);
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

static ssize_t read_full(int fd, char *buf, size_t n, off_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, off + (off_t)got);
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
	off_t pos = 0;

	for (;;) {
		ssize_t k = read_full(fd, r->blk, DOCTOR_READ_BLOCK, pos);
		if (k < 0)
			return (int)k;
		if (k == 0)
			break;
		pos += k;
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
				push_forward(r, no, r->carry, r->clen);
				r->clen = 0;
				open_line = false;
			} else if (r->export) {
				push_export(r, no, p, (size_t)(nl - p));
			} else if (r->wrap) {
				push_forward(r, no, p, (size_t)(nl - p));
			} else {
				feed(r, no, p, (size_t)(nl - p));	/* the common case, kept inline */
			}
			p = nl + 1;
		}
	}
	if (open_line)
		push_forward(r, no + 1, r->carry, r->clen);
	join_flush(r);
	if (r->export)
		export_flush(r);
	return 0;
}

static int read_backward(struct reader *r, int fd, off_t size)
{
	unsigned long n_lines = 0;
	char last = '\n';
	off_t pos;

	/* pass 1: count lines for real line numbers */
	for (pos = 0; pos < size;) {
		ssize_t k = read_full(fd, r->blk, DOCTOR_READ_BLOCK, pos);
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
		ssize_t got = read_full(fd, r->blk, k, pos);
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
			push_backward(r, no--, r->carry, r->clen);
			r->clen = 0;
			end = nl;
		}
	}
	if (no > 0)
		push_backward(r, no, r->carry, r->clen);
	join_flush(r);
	return 0;
}

/* Look at the start of a file: newest-first when the probed timestamps go down more often
 * than up; wrapped when its width is plausible and it has both prefixed and bare lines. */
static int probe_file(struct reader *r, int fd, struct probe *pr)
{
	ssize_t k = read_full(fd, r->blk, DOCTOR_READ_BLOCK, 0);
	unsigned up = 0, down = 0, seen = 0;
	bool have = false;
	int64_t prev = 0;

	memset(pr, 0, sizeof(*pr));
	if (k < 0)
		return (int)k;
	for (const char *p = r->blk, *end = r->blk + k; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		struct doctor_line l;
		size_t n = (size_t)(nl - p) > DOCTOR_MAX_LINE ? DOCTOR_MAX_LINE : (size_t)(nl - p);
		size_t c = columns(p, trimmed_len(p, n));
		if (c > pr->width)
			pr->width = c;
		if (n > 9 && memcmp(p, "__CURSOR=", 9) == 0)
			pr->export = true;
		if (seen < DOCTOR_ORDER_PROBE_LINES && doctor_log_parse(p, n, &l) == 0) {
			if (l.fmt == DOCTOR_FMT_PLAIN)
				pr->bare++;
			else
				pr->prefixed++;
			if (l.has_time) {
				if (have && l.time > prev)
					up++;
				else if (have && l.time < prev)
					down++;
				prev = l.time;
				have = true;
				seen++;
			}
		}
		p = nl + 1;
	}
	pr->newest_first = down > up && down >= 2;
	return 0;
}

/* Read a stream into buf: up to n bytes, fewer at its end. idle_ms >= 0 bounds the wait for
 * each next byte (a named FIFO may have no writer yet: poll waits for one). */
static ssize_t read_stream(int fd, char *buf, size_t n, int idle_ms)
{
	size_t got = 0;

	while (got < n) {
		if (idle_ms >= 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int pr = poll(&pfd, 1, idle_ms);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0)
				return -errno;
			if (pr == 0)
				return -ETIMEDOUT;
		}
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			/* a non-blocking standard input: wait without a deadline */
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			if (idle_ms < 0 && poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Copy a stream to an unlinked temporary file, at most max bytes; returns its fd or
 * -errno (-EFBIG beyond max, -ETIMEDOUT when idle too long). */
static int spool(struct reader *r, int fd, uint64_t max, int idle_ms)
{
	FILE *tf = tmpfile();
	uint64_t total = 0;
	int out, err = 0;

	if (!tf)
		return -errno;
	out = dup(fileno(tf));
	fclose(tf);
	if (out < 0)
		return -errno;
	for (;;) {
		ssize_t k = read_stream(fd, r->blk, DOCTOR_READ_BLOCK, idle_ms);
		if (k < 0) {
			err = (int)k;
			break;
		}
		if (k == 0)
			break;
		total += (uint64_t)k;
		if (total > max) {
			err = -EFBIG;
			break;
		}
		if (write(out, r->blk, (size_t)k) != k) {
			err = errno ? -errno : -EIO;
			break;
		}
	}
	if (err) {
		close(out);
		return err;
	}
	return out;
}

int doctor_read_path_limits(struct doctor *d, const char *path,
			    const struct doctor_read_limits *lim, bool *newest_first)
{
	struct reader r = { .d = d };
	bool is_stdin = strcmp(path, "-") == 0;
	/* non-blocking: opening a FIFO without a writer must not hang; the type is checked on
	 * the descriptor that is read */
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	int err = 0, work = -1;
	struct probe pr;
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
	/* devices and sockets are no logs (/dev/zero would never end); standard input may be
	 * anything the user redirected, within the spool limit */
	if (!is_stdin && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		err = -ENODEV;
		goto out;
	}
	r.blk = xmalloc(DOCTOR_READ_BLOCK);
	r.carry = xmalloc(DOCTOR_MAX_LINE);
	r.text = xmalloc(DOCTOR_MAX_LINE);
	r.join = xmalloc(DOCTOR_MAX_LINE);
	work = fd;
	if (!S_ISREG(st.st_mode)) {
		work = spool(&r, fd, lim->spool_max, is_stdin ? -1 : lim->idle_ms);
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
	err = probe_file(&r, work, &pr);
	if (err)
		goto out;
	/* an export file's times are fields, never out of order; its lines are not wrapped */
	r.export = pr.export;
	*newest_first = pr.newest_first && !r.export;
	if (r.export) {
		r.ent = xmalloc(sizeof(*r.ent));
		export_reset(r.ent);
	} else if (pr.width >= DOCTOR_WRAP_MIN_COL && pr.width <= DOCTOR_WRAP_MAX_COL &&
		   pr.prefixed > 0 && pr.bare > 0) {
		r.wrap = pr.width;
	}
	if (lim->pipe_min && st.st_size >= 0 && (uint64_t)st.st_size >= lim->pipe_min)
		r.pl = pipe_start(d, r.input);
	if (*newest_first)
		err = read_backward(&r, work, st.st_size);
	else
		err = read_forward(&r, work);
	pipe_finish(r.pl);
out:
	if (work >= 0 && work != fd)
		close(work);
	if (!is_stdin && fd >= 0)
		close(fd);
	free(r.blk);
	free(r.carry);
	free(r.text);
	free(r.join);
	free(r.ent);
	return err;
}

int doctor_read_path(struct doctor *d, const char *path, bool *newest_first)
{
	static const struct doctor_read_limits lim = {
		.spool_max = DOCTOR_SPOOL_MAX,
		.idle_ms = DOCTOR_STREAM_IDLE_MS,
		.pipe_min = DOCTOR_PIPE_MIN,
	};

	return doctor_read_path_limits(d, path, &lim, newest_first);
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
