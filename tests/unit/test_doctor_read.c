/* test_doctor_read.c - the log reader: hard-wrapped pastes joined back (forward and in
 * newest-first files), only where a line was really cut; JSON messages decoded; streams
 * bounded (a device refused, standard input capped, a FIFO without a writer given up);
 * newest-first files read backwards block by block (block boundaries anywhere, CRLF, no
 * final newline, lines at and past the length limit, rotated files, empty files). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "doctor_read.h"
#include "util.h"

#define LOGS "tests/data/logs/"

/* Run the reader over one path; returns the analysis (caller frees) and its verdicts. */
static struct doctor *read_one(const char *path, const struct doctor_read_limits *lim, int *err,
			       const struct doctor_verdict **v, size_t *n)
{
	struct doctor *d = doctor_new();
	bool nf;

	*err = lim ? doctor_read_path_limits(d, path, lim, &nf) : doctor_read_path(d, path, &nf);
	*n = *err ? 0 : doctor_finish(d, v);
	return d;
}

/* Is text exactly one line of path? */
static bool is_line_of(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t k;
	bool found = false;

	assert_non_null(f);
	while (!found && (k = getline(&line, &cap, f)) >= 0) {
		while (k > 0 && (line[k - 1] == '\n' || line[k - 1] == '\r'))
			line[--k] = '\0';
		found = strcmp(line, text) == 0;
	}
	free(line);
	fclose(f);
	return found;
}

/* Path of a corpus file. */
static char *corpus(const char *rel)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, LOGS "%s", rel);
	return b.data;
}

static char *tmp_path(const char *name)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "/tmp/test_doctor_read.%d.%s", (int)getpid(), name);
	return b.data;
}

/* Lab logs wrapped three ways (README.md: formats/wrapped*): the verdict is the one of the
 * original, and every evidence text is exactly an original line, so the pieces were joined
 * with the right separator (none after a cut word, one blank after a broken one). */
static void test_wrapped_joined(void **state)
{
	static const struct {
		const char *wrapped, *original, *cls;
	} cases[] = {
		{ "formats/wrapped72_psk_mismatch_b.log", "lab/psk_mismatch/b.log", "psk_mismatch" },
		{ "formats/wrapped_words_dh_group_mismatch_b.log", "lab/dh_group_mismatch/b.log",
		  "dh_group_mismatch" },
		{ "formats/wrapped80_pfsense_gui_newest_first_b.log",
		  "formats/pfsense_gui_newest_first_b.log", "psk_mismatch" },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *wrapped = corpus(cases[i].wrapped), *original = corpus(cases[i].original);
		const struct doctor_verdict *v;
		size_t n;
		int err;
		struct doctor *d = read_one(wrapped, NULL, &err, &v, &n);

		assert_int_equal(err, 0);
		assert_int_equal(n, 1);
		assert_string_equal(doctor_class_names[v[0].cls], cases[i].cls);
		assert_true(v[0].n_ev > 0);
		for (size_t k = 0; k < v[0].n_ev; k++)
			if (!is_line_of(original, v[0].ev[k].text))
				fail_msg("%s:%lu: '%s' is not a line of %s", wrapped, v[0].ev[k].line,
					 v[0].ev[k].text, original);
		doctor_free(d);
		free(wrapped);
		free(original);
	}
}

/* Columns of a line's first n bytes, tabs to the next multiple of 8. */
static size_t cols(const char *p, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c = p[i] == '\t' ? (c / 8 + 1) * 8 : c + 1;
	return c;
}

/* Wrap every line of src into dst at width columns, as a terminal does (soft = false: cut
 * anywhere) or a mail client (soft: after the last blank that fits, the blank kept). */
static void wrap_file(const char *src, const char *dst, size_t width, bool soft)
{
	FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
	char *line = NULL;
	size_t cap = 0;
	ssize_t k;

	assert_non_null(in);
	assert_non_null(out);
	while ((k = getline(&line, &cap, in)) >= 0) {
		const char *p = line;
		size_t n = (size_t)k;
		if (n > 0 && p[n - 1] == '\n')
			n--;
		while (cols(p, n) > width) {
			size_t cut = 0, brk = 0;
			while (cols(p, cut + 1) <= width)
				if (p[cut++] == ' ')
					brk = cut;
			if (soft && brk > 0)
				cut = brk;
			fprintf(out, "%.*s\n", (int)cut, p);
			p += cut;
			n -= cut;
		}
		fprintf(out, "%.*s\n", (int)n, p);
	}
	free(line);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* Verdicts of one file as "class tunnel" lines, and whether every evidence text is a line of
 * original. */
static char *verdicts(const char *path, const char *original, bool *real)
{
	const struct doctor_verdict *v;
	struct buf b;
	size_t n;
	int err;
	struct doctor *d = read_one(path, NULL, &err, &v, &n);

	assert_int_equal(err, 0);
	buf_init(&b);
	buf_printf(&b, "%zu", n);
	*real = true;
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, " %s/%s", doctor_class_names[v[i].cls], v[i].tunnel);
		for (size_t k = 0; k < v[i].n_ev; k++)
			if (!is_line_of(original, v[i].ev[k].text))
				*real = false;
	}
	doctor_free(d);
	return b.data;
}

/* Lab sessions wrapped at widths mail clients, forums and terminals use, cut anywhere or at
 * blanks (a GUI copy with tabs, read backwards, among them): same verdicts as unwrapped,
 * evidence the original lines. */
static void test_wrap_sweep(void **state)
{
	static const char *const files[] = {
		"lab/healthy/a.log", "lab/psk_mismatch/b.log", "lab/ts_narrowed/b.log",
		"formats/pfsense_gui_newest_first_b.log",
	};
	static const size_t widths[] = { 60, 64, 72, 76, 80, 100, 112, 132, 200 };
	char *tmp = tmp_path("wrapped");
	(void)state;

	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		char *src = corpus(files[f]);
		bool real;
		char *want = verdicts(src, src, &real);
		assert_true(real);
		for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
			for (int soft = 0; soft < 2; soft++) {
				wrap_file(src, tmp, widths[w], soft);
				char *got = verdicts(tmp, src, &real);
				if (strcmp(got, want) != 0 || !real)
					fail_msg("%s wrapped at %zu (%s): '%s'%s, want '%s'", files[f],
						 widths[w], soft ? "blanks" : "anywhere", got,
						 real ? "" : " (evidence not an original line)", want);
				free(got);
			}
		}
		free(want);
		free(src);
	}
	unlink(tmp);
	free(tmp);
}

/* A real paste cut at 80 columns (turris-os#31): the kernel failure's evidence is the whole
 * message, under the number of its first line. */
static void test_real_wrapped_paste(void **state)
{
	char *path = corpus("public/turris_31_kernel.log");
	const struct doctor_verdict *v;
	size_t n;
	int err;
	bool whole = false;
	(void)state;
	struct doctor *d = read_one(path, NULL, &err, &v, &n);

	assert_int_equal(err, 0);
	assert_int_equal(n, 1);
	assert_string_equal(doctor_class_names[v[0].cls], "kernel_failure");
	for (size_t k = 0; k < v[0].n_ev; k++)
		if (v[0].ev[k].line == 11 &&
		    strcmp(v[0].ev[k].text, "2016-12-02T20:26:42+02:00 info []: 05[IKE] unable to install "
				"inbound and outbound IPsec SA (SAD) in kernel") == 0)
			whole = true;
	assert_true(whole);
	doctor_free(d);
	free(path);
}

/* Console output mixed into a filelog (zhangke5959/strongswan#14): its bare last line
 * follows a line that was not cut, so nothing is joined: evidence is each line as it is. */
static void test_bare_line_not_joined(void **state)
{
	char *path = corpus("public/gmalg_14_console.log");
	const struct doctor_verdict *v;
	size_t n;
	int err;
	(void)state;
	struct doctor *d = read_one(path, NULL, &err, &v, &n);

	assert_int_equal(err, 0);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < v[i].n_ev; k++)
			if (!is_line_of(path, v[i].ev[k].text))
				fail_msg("'%s' was joined", v[i].ev[k].text);
	doctor_free(d);
	free(path);
}

/* A JSON message with escapes is decoded before the rules see it: JSON may escape any
 * character, here one inside the words the PSK rule looks for. */
static void test_json_decoded(void **state)
{
	char *path = tmp_path("json");
	FILE *f = fopen(path, "w");
	const struct doctor_verdict *v;
	size_t n;
	int err;
	(void)state;

	assert_non_null(f);
	fputs("{\"time\":\"Nov 29 15:00:46\",\"thread\":15,\"group\":\"IKE\",\"level\":1,"
	      "\"ikesa-uniqueid\":\"1\",\"ikesa-name\":\"con1\",\"msg\":\"tried 1 shared key for "
	      "'10.99.0.2' - '10.99.0.1', but MAC mismatch\\u0065d\"}\n", f);
	assert_int_equal(fclose(f), 0);
	struct doctor *d = read_one(path, NULL, &err, &v, &n);
	assert_int_equal(err, 0);
	assert_int_equal(n, 1);
	assert_string_equal(doctor_class_names[v[0].cls], "psk_mismatch");
	assert_string_equal(v[0].tunnel, "con1");
	doctor_free(d);
	unlink(path);
	free(path);
}

/* journalctl -o export of charon-systemd: the entry's IKE_SA_NAME, IKE_SA_UNIQUE_ID and
 * THREAD fields go with its MESSAGE line, so the verdict is the one -o json gives (the SA
 * known as the responder's), with evidence on the MESSAGE lines. */
static void test_export_fields(void **state)
{
	char *exp = corpus("formats/journal_export_charon_systemd_b.log");
	char *json = corpus("formats/journal_json_charon_systemd_b.log");
	const struct doctor_verdict *v, *w;
	size_t n, m;
	int err;
	(void)state;
	struct doctor *d = read_one(exp, NULL, &err, &v, &n);
	assert_int_equal(err, 0);
	struct doctor *e = read_one(json, NULL, &err, &w, &m);
	assert_int_equal(err, 0);

	assert_int_equal(n, 1);
	assert_int_equal(m, 1);
	assert_int_equal(v[0].cls, w[0].cls);
	assert_string_equal(v[0].tunnel, w[0].tunnel);
	assert_string_equal(v[0].side, "responder");
	assert_string_equal(v[0].side, w[0].side);
	for (size_t k = 0; k < v[0].n_ev; k++)
		assert_true(strncmp(v[0].ev[k].text, "MESSAGE=", 8) == 0);
	doctor_free(d);
	doctor_free(e);
	free(exp);
	free(json);
}

/* Devices are no logs: /dev/zero would never end. */
static void test_device_refused(void **state)
{
	const struct doctor_verdict *v;
	size_t n;
	int err;
	(void)state;

	doctor_free(read_one("/dev/zero", NULL, &err, &v, &n));
	assert_int_equal(err, -ENODEV);
	doctor_free(read_one("/dev/null", NULL, &err, &v, &n));
	assert_int_equal(err, -ENODEV);
}

/* Standard input is spooled up to the limit, then refused: `doctor - </dev/zero`. */
static void test_stdin_capped(void **state)
{
	struct doctor_read_limits lim = { .spool_max = 1u << 20, .idle_ms = 1000 };
	const struct doctor_verdict *v;
	size_t n;
	int err, saved = dup(STDIN_FILENO), zero = open("/dev/zero", O_RDONLY);
	(void)state;

	assert_true(saved >= 0 && zero >= 0);
	assert_int_equal(dup2(zero, STDIN_FILENO), STDIN_FILENO);
	doctor_free(read_one("-", &lim, &err, &v, &n));
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	close(zero);
	assert_int_equal(err, -EFBIG);
}

/* A FIFO nobody writes to is given up after the idle limit instead of hanging. */
static void test_fifo_without_writer(void **state)
{
	struct doctor_read_limits lim = { .spool_max = 1u << 20, .idle_ms = 200 };
	char *path = tmp_path("fifo");
	const struct doctor_verdict *v;
	struct timespec t0, t1;
	size_t n;
	int err;
	(void)state;

	assert_int_equal(mkfifo(path, 0600), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	doctor_free(read_one(path, &lim, &err, &v, &n));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	unlink(path);
	free(path);
}

/* A FIFO with a writer (as `doctor <(ssh gw cat charon.log)` gives) is read like the file;
 * beyond the spool limit it is refused. */
static void test_fifo_with_writer(void **state)
{
	static const struct {
		uint64_t max;
		int err;
	} runs[] = { { 1u << 20, 0 }, { 4096, -EFBIG } };
	char *path = tmp_path("fifo2"), *src = corpus("lab/psk_mismatch/b.log");
	(void)state;

	assert_int_equal(mkfifo(path, 0600), 0);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		struct doctor_read_limits lim = { .spool_max = runs[i].max, .idle_ms = 5000 };
		const struct doctor_verdict *v;
		struct buf all;
		size_t n;
		int err, status;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			int fd = open(path, O_WRONLY);
			buf_init(&all);
			if (fd < 0 || file_read_all(src, TC_MAX_FILE_SIZE, &all) < 0)
				_exit(1);
			/* the reader may stop early (limit): a closed pipe is no failure here */
			signal(SIGPIPE, SIG_IGN);
			_exit(write(fd, all.data, all.len) == (ssize_t)all.len || runs[i].err ? 0 : 1);
		}
		struct doctor *d = read_one(path, &lim, &err, &v, &n);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(err, runs[i].err);
		if (!err) {
			assert_int_equal(n, 1);
			assert_string_equal(doctor_class_names[v[0].cls], "psk_mismatch");
		}
		doctor_free(d);
	}
	unlink(path);
	free(path);
	free(src);
}

/* A file read on two threads (parse, then classify and feed) gets exactly the verdicts and
 * evidence of one read on one: every recorded lab log, concatenated, and the newest-first
 * pfSense copy, both ways. */
static void test_two_threads_same(void **state)
{
	static const char *const files[] = { LOGS "formats/pfsense_gui_newest_first_b.log",
					     LOGS "lab/dpd_timeout_traffic/a.log" };
	char all[] = "/tmp/tc-pipe-XXXXXX";
	int fd = mkstemp(all);
	(void)state;

	assert_true(fd >= 0);
	/* every lab log once: a few thousand lines, several tunnels and failures */
	FILE *out = fdopen(fd, "w");
	assert_non_null(out);
	DIR *dir = opendir(LOGS "lab");
	assert_non_null(dir);
	for (struct dirent *de; (de = readdir(dir));) {
		if (de->d_name[0] == '.')
			continue;
		for (int side = 0; side < 2; side++) {
			char *p = xasprintf(LOGS "lab/%s/%s.log", de->d_name, side ? "b" : "a");
			FILE *in = fopen(p, "r");
			char buf[8192];
			size_t k;
			while (in && (k = fread(buf, 1, sizeof(buf), in)) > 0)
				assert_int_equal(fwrite(buf, 1, k, out), k);
			if (in)
				fclose(in);
			free(p);
		}
	}
	closedir(dir);
	assert_int_equal(fclose(out), 0);

	const char *paths[] = { all, files[0], files[1] };
	for (size_t f = 0; f < ARRAY_SIZE(paths); f++) {
		struct doctor_read_limits one = { .spool_max = 1u << 20, .idle_ms = 1000 };
		struct doctor_read_limits two = { .spool_max = 1u << 20, .idle_ms = 1000, .pipe_min = 1 };
		const struct doctor_verdict *v1, *v2;
		size_t n1, n2;
		int e1, e2;
		struct doctor *d1 = read_one(paths[f], &one, &e1, &v1, &n1);
		struct doctor *d2 = read_one(paths[f], &two, &e2, &v2, &n2);
		assert_int_equal(e1, 0);
		assert_int_equal(e2, 0);
		assert_true(n1 > 0);
		assert_int_equal(n1, n2);
		for (size_t i = 0; i < n1; i++) {
			assert_int_equal(v1[i].cls, v2[i].cls);
			assert_string_equal(v1[i].tunnel, v2[i].tunnel);
			assert_string_equal(v1[i].summary, v2[i].summary);
			assert_int_equal(v1[i].n_ev, v2[i].n_ev);
			for (size_t k = 0; k < v1[i].n_ev; k++) {
				assert_int_equal(v1[i].ev[k].line, v2[i].ev[k].line);
				assert_string_equal(v1[i].ev[k].text, v2[i].ev[k].text);
			}
		}
		doctor_free(d1);
		doctor_free(d2);
	}
	unlink(all);
}

/* ---- newest-first files, read backwards one DOCTOR_READ_BLOCK at a time ---------------- */

#define NF_SOURCE LOGS "lab/psk_mismatch/b.log"
/* filler lines are wider than DOCTOR_WRAP_MAX_COL, so no filler makes a file look wrapped */
#define NF_FILLER_COLS 4000
/* the boundary sweep: every one of the newest lines, then every NF_SWEEP_STRIDE-th */
#define NF_SWEEP_ALL 12
#define NF_SWEEP_STRIDE 12

/* The lines of a log (line ends dropped); caller frees with lines_free. */
struct lines {
	char **v;
	size_t n;
};

static void lines_read(struct lines *l, const char *path)
{
	struct buf b;
	char *p, *e;

	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, &b), 0);
	l->v = NULL;
	l->n = 0;
	for (p = b.data; *p; p = e + 1) {
		e = strchr(p, '\n');
		assert_non_null(e);
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = xstrndup(p, (size_t)(e - p));
	}
	buf_free(&b);
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Write lines oldest first (LF, final newline) or newest first (eol, final newline or not). */
static void lines_write(const struct lines *l, const char *path, bool newest_first, const char *eol,
			bool final_nl, size_t filler)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < l->n; i++) {
		buf_adds(&b, l->v[newest_first ? l->n - 1 - i : i]);
		if (i + 1 < l->n || final_nl || filler)
			buf_adds(&b, eol);
	}
	/* filler: the oldest lines, exactly `filler` bytes, each wider than NF_FILLER_COLS */
	while (filler) {
		size_t e = strlen(eol);
		bool last = filler <= 2 * NF_FILLER_COLS;
		size_t w = !last ? NF_FILLER_COLS : final_nl ? filler - e : filler;
		for (size_t k = 0; k < w; k++)
			buf_addc(&b, 'x');
		if (!last || final_nl)
			buf_adds(&b, eol);
		filler -= last ? filler : w + e;
	}
	/* no file_write_atomic: hundreds of files, no fsync needed */
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
	assert_int_equal(fclose(f), 0);
	buf_free(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Verdicts as text: class, tunnel, summary, fix and the evidence "input:line:text" in line
 * order of the oldest-first file, with line numbers counted from the file's end when n_lines
 * (lines per input) is given: a newest-first file's line n is line n_lines + 1 - n of the
 * log oldest first. */
static char *verdicts_text(const struct doctor_verdict *v, size_t n, const unsigned long *n_lines)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		char **ev = xcalloc(v[i].n_ev, sizeof(*ev));
		buf_printf(&b, "%s %s: %s | %s\n", doctor_class_names[v[i].cls], v[i].tunnel,
			   v[i].summary, v[i].fix ? v[i].fix : "");
		for (size_t k = 0; k < v[i].n_ev; k++)
			ev[k] = xasprintf("  %u:%08lu: %s\n", v[i].ev[k].input,
					  n_lines ? n_lines[v[i].ev[k].input] + 1 - v[i].ev[k].line
						  : v[i].ev[k].line,
					  v[i].ev[k].text);
		qsort(ev, v[i].n_ev, sizeof(*ev), cmp_str);
		for (size_t k = 0; k < v[i].n_ev; k++) {
			buf_adds(&b, ev[k]);
			free(ev[k]);
		}
		free(ev);
	}
	return buf_steal(&b);
}

/* One read of path: rc 0 required, newest-first as expected; the verdicts as text. */
static char *read_text(const char *path, bool newest_first, unsigned long n_lines, const char *name)
{
	struct doctor *d = doctor_new();
	const struct doctor_verdict *v;
	bool nf;
	size_t n;

	assert_int_equal(doctor_read_path(d, path, &nf), 0);
	if (nf != newest_first)
		fail_msg("%s (%s): newest-first %s, expected %s", path, name, nf ? "yes" : "no", newest_first ? "yes" : "no");
	n = doctor_finish(d, &v);
	char *t = verdicts_text(v, n, n_lines ? &n_lines : NULL);
	doctor_free(d);
	return t;
}

/* The offset of line i (0-based, newest first) in the newest-first file. */
static size_t nf_offset(const struct lines *l, size_t i, size_t eol)
{
	size_t off = 0;

	for (size_t k = 0; k < i; k++)
		off += strlen(l->v[l->n - 1 - k]) + eol;
	return off;
}

/* A newest-first file gives the verdicts of the same log oldest first, line for line, with
 * CRLF or LF ends, with or without a final newline, wherever a block boundary falls (the
 * sweep puts it at the start, middle and last byte of a line: between CR and LF), and with an evidence line
 * padded to exactly DOCTOR_MAX_LINE, one byte more, and longer than a whole block. */
static void test_newest_first_backwards(void **state)
{
	static const struct {
		const char *name, *eol;
		bool final_nl, sweep;
		size_t pad_to;		/* pad a line to this length (0: no) */
		unsigned long pad_line;	/* that line (oldest first; 0: the first evidence line) */
	} cases[] = {
		{ "LF", "\n", true, true, 0, 0 },
		{ "CRLF", "\r\n", true, true, 0, 0 },
		{ "LF, no final newline", "\n", false, true, 0, 0 },
		{ "CRLF, no final newline", "\r\n", false, false, 0, 0 },
		{ "evidence line of DOCTOR_MAX_LINE", "\n", true, false, DOCTOR_MAX_LINE, 0 },
		{ "evidence line of DOCTOR_MAX_LINE + 1", "\r\n", true, false, DOCTOR_MAX_LINE + 1, 0 },
		/* an old line: the probe must still see the newest lines' timestamps go down */
		{ "a line longer than a block", "\n", false, false, DOCTOR_READ_BLOCK + 100, 2 },
	};
	char *fwd = tmp_path("fwd.log"), *rev = tmp_path("rev.log");
	unsigned reads = 0;
	(void)state;

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct lines l;
		lines_read(&l, NF_SOURCE);
		if (cases[c].pad_to) {
			/* the first evidence line of the plain read */
			struct doctor *d = doctor_new();
			const struct doctor_verdict *v;
			bool nf;
			assert_int_equal(doctor_read_path(d, NF_SOURCE, &nf), 0);
			assert_true(doctor_finish(d, &v) > 0);
			char **line = &l.v[(cases[c].pad_line ? cases[c].pad_line : v[0].ev[0].line) - 1];
			doctor_free(d);
			size_t had = strlen(*line);
			assert_true(had < cases[c].pad_to);
			*line = xrealloc(*line, cases[c].pad_to + 1);
			memset(*line + had, 'p', cases[c].pad_to - had);
			(*line)[cases[c].pad_to] = '\0';
		}
		lines_write(&l, fwd, false, "\n", true, 0);
		char *want = read_text(fwd, false, 0, cases[c].name);
		if (!strstr(want, "psk_mismatch con1"))
			fail_msg("%s: the oldest-first read gives no psk_mismatch:\n%s", cases[c].name, want);

		size_t eol = strlen(cases[c].eol), total = nf_offset(&l, l.n, eol);
		size_t n_cuts = cases[c].sweep ? 3 * l.n : 1;
		for (size_t cut = 0; cut < n_cuts; cut++) {
			size_t filler = 0;
			/* every line near the evidence (the newest), every twelfth one further down */
			if (cases[c].sweep && cut / 3 >= NF_SWEEP_ALL && (cut / 3) % NF_SWEEP_STRIDE)
				continue;
			if (cases[c].sweep) {
				/* the first block read is the file's last DOCTOR_READ_BLOCK bytes: filler
				 * (the oldest lines) moves its start to the start, middle or last byte of
				 * line cut / 3 */
				size_t i = cut / 3, len = strlen(l.v[l.n - 1 - i]) + eol;
				size_t at = nf_offset(&l, i, eol) + (cut % 3 == 0 ? 0 : cut % 3 == 1 ? len / 2 : len - 1);
				assert_true(total < DOCTOR_READ_BLOCK);
				filler = DOCTOR_READ_BLOCK - total + at;
			}
			lines_write(&l, rev, true, cases[c].eol, cases[c].final_nl, filler);
			char *got = read_text(rev, true, l.n, cases[c].name);
			if (strcmp(want, got) != 0)
				fail_msg("%s, cut %zu: the newest-first verdicts differ:\n%s\nexpected:\n%s",
					 cases[c].name, cut, got, want);
			free(got);
			reads++;
		}
		free(want);
		lines_free(&l);
	}
	print_message("%u newest-first reads\n", reads);
	unlink(fwd);
	unlink(rev);
	free(fwd);
	free(rev);
}

/* Read paths into one analysis (each must be newest-first or not as said); the verdicts as
 * text, line numbers mapped with n_lines (NULL: as they are). */
static char *read_all_text(char *const *paths, size_t n_paths, bool newest_first,
			   const unsigned long *n_lines)
{
	struct doctor *d = doctor_new();
	const struct doctor_verdict *v;
	bool nf;

	for (size_t i = 0; i < n_paths; i++) {
		assert_int_equal(doctor_read_path(d, paths[i], &nf), 0);
		if (nf != newest_first)
			fail_msg("%s: newest-first %d, expected %d", paths[i], nf, newest_first);
	}
	size_t n = doctor_finish(d, &v);
	assert_true(n > 0);
	char *t = verdicts_text(v, n, n_lines);
	doctor_free(d);
	return t;
}

/* A rotated newest-first log (pfSense's GUI copies of ipsec.log.1 and ipsec.log), split in
 * the middle of a tunnel's story: each file is read backwards on its own (the doctor takes
 * every file as one input) and the verdicts are those of the same two files oldest first,
 * every evidence line at its own file's line. */
static void test_newest_first_rotated(void **state)
{
	char *nf_paths[2] = { tmp_path("rot.log.1"), tmp_path("rot.log") };
	char *of_paths[2] = { tmp_path("rot-of.log.1"), tmp_path("rot-of.log") };
	struct lines l, part[2];
	(void)state;

	/* a log whose time moves on (12 distinct seconds), so each part alone is newest-first */
	lines_read(&l, LOGS "lab/dpd_timeout_traffic/a.log");
	/* split where the 6th distinct second starts (timestamps are the first 15 bytes) */
	size_t split = 0, seconds = 1;
	for (size_t i = 1; i < l.n && !split; i++)
		if (strncmp(l.v[i], l.v[i - 1], 15) != 0 && ++seconds == 6)
			split = i;
	assert_true(split > 0);
	part[0] = (struct lines){ l.v, split };
	part[1] = (struct lines){ l.v + split, l.n - split };
	unsigned long n_lines[2] = { part[0].n, part[1].n };
	for (int i = 0; i < 2; i++) {
		lines_write(&part[i], nf_paths[i], true, "\n", true, 0);
		lines_write(&part[i], of_paths[i], false, "\n", true, 0);
	}
	char *want = read_all_text(of_paths, 2, false, NULL);
	char *got = read_all_text(nf_paths, 2, true, n_lines);
	if (strcmp(want, got) != 0)
		fail_msg("rotated newest-first files:\n%s\nexpected:\n%s", got, want);
	free(want);
	free(got);
	lines_free(&l);
	for (int i = 0; i < 2; i++) {
		unlink(nf_paths[i]);
		unlink(of_paths[i]);
		free(nf_paths[i]);
		free(of_paths[i]);
	}
}

/* An empty file and a file of empty lines: read, no verdict, not newest-first. */
static void test_empty_files(void **state)
{
	static const char *const texts[] = { "", "\n", "\n\n\n", "\r\n\r\n" };
	char *path = tmp_path("empty.log");
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		const struct doctor_verdict *v;
		bool nf = true;
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(texts[i], 1, strlen(texts[i]), f), strlen(texts[i]));
		assert_int_equal(fclose(f), 0);
		struct doctor *d = doctor_new();
		assert_int_equal(doctor_read_path(d, path, &nf), 0);
		assert_false(nf);
		assert_int_equal(doctor_finish(d, &v), 0);
		assert_int_equal(doctor_input_charon_lines(d, 0), 0);
		doctor_free(d);
	}
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapped_joined),
		cmocka_unit_test(test_wrap_sweep),
		cmocka_unit_test(test_real_wrapped_paste),
		cmocka_unit_test(test_bare_line_not_joined),
		cmocka_unit_test(test_json_decoded),
		cmocka_unit_test(test_export_fields),
		cmocka_unit_test(test_device_refused),
		cmocka_unit_test(test_stdin_capped),
		cmocka_unit_test(test_fifo_without_writer),
		cmocka_unit_test(test_fifo_with_writer),
		cmocka_unit_test(test_two_threads_same),
		cmocka_unit_test(test_newest_first_backwards),
		cmocka_unit_test(test_newest_first_rotated),
		cmocka_unit_test(test_empty_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
