/* webtest.c - test driver for web.c: serves a status document from a file with the same
 * single poll() loop the daemon uses; the document is reloaded when the file changes
 * (tests swap it to take a tunnel down). Not a product command.
 *
 * usage: webtest --status-file F [--listen ADDR:PORT] [--token-file F] [--port-file F]
 *                [--then-file F2 --after N]
 * --then-file: after N requests for the status, serve F2 instead (a tunnel going down at a
 * known point of a headless browser's run, without timing).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "web.h"

#define RELOAD_CHECK_MS 100	/* how often the status file's mtime is compared */

static volatile sig_atomic_t stop_requested;

struct file_source {
	const char *path;
	const char *then_path;	/* switch to this file ... */
	unsigned long then_after;	/* ... after this many status() calls */
	struct timespec mtime;
	off_t size;
	json_t *doc;
	uint64_t generation;
	unsigned long calls;	/* status() calls: what the daemon would answer from its cache */
};

static void file_reload(struct file_source *fs);

static json_t *file_status(void *arg, uint64_t *generation)
{
	struct file_source *fs = arg;

	fs->calls++;
	if (fs->then_path && fs->calls > fs->then_after) {
		fs->path = fs->then_path;
		fs->then_path = NULL;
		fs->size = -1;	/* a different file: reload whatever its mtime */
		file_reload(fs);
	}
	*generation = fs->generation;
	return fs->doc ? json_incref(fs->doc) : NULL;
}

/* Reload when the file's mtime or size changed; keeps the old document on errors. */
static void file_reload(struct file_source *fs)
{
	struct stat st;
	json_error_t je;
	json_t *doc;

	if (stat(fs->path, &st) < 0)
		return;
	if (fs->doc && st.st_mtim.tv_sec == fs->mtime.tv_sec && st.st_mtim.tv_nsec == fs->mtime.tv_nsec &&
	    st.st_size == fs->size)
		return;
	doc = json_load_file(fs->path, 0, &je);
	if (!doc) {
		fprintf(stderr, "webtest: %s:%d: %s\n", fs->path, je.line, je.text);
		return;
	}
	json_decref(fs->doc);
	fs->doc = doc;
	fs->mtime = st.st_mtim;
	fs->size = st.st_size;
	fs->generation++;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int main(int argc, char **argv)
{
	const char *listen = NULL, *token_file = NULL, *port_file = NULL;
	struct file_source fs = { 0 };
	struct web_source src = { file_status, &fs };
	struct web_server *ws;
	char *err = NULL;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--status-file") == 0)
			fs.path = argv[i + 1];
		else if (strcmp(argv[i], "--listen") == 0)
			listen = argv[i + 1];
		else if (strcmp(argv[i], "--token-file") == 0)
			token_file = argv[i + 1];
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else if (strcmp(argv[i], "--then-file") == 0)
			fs.then_path = argv[i + 1];
		else if (strcmp(argv[i], "--after") == 0)
			fs.then_after = strtoul(argv[i + 1], NULL, 10);
		else
			break;
	}
	if (i != argc || !fs.path) {
		fputs("usage: webtest --status-file F [--listen ADDR:PORT] [--token-file F] [--port-file F]\n"
		      "               [--then-file F2 --after N]\n", stderr);
		return 2;
	}
	file_reload(&fs);
	if (web_start(listen, token_file, &src, &ws, &err)) {
		fprintf(stderr, "webtest: %s\n", err);
		free(err);
		json_decref(fs.doc);
		return 1;
	}
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (!f || fprintf(f, "%u\n", web_port(ws)) < 0 || fclose(f) != 0) {
			fprintf(stderr, "webtest: %s: %s\n", port_file, strerror(errno));
			web_stop(ws);
			return 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	/* the owner's loop: poll the one web descriptor with MHD's deadline */
	while (!stop_requested) {
		struct pollfd pfd = { .fd = web_fd(ws), .events = POLLIN };
		int t = web_timeout_ms(ws);

		if (t < 0 || t > RELOAD_CHECK_MS)
			t = RELOAD_CHECK_MS;
		if (poll(&pfd, 1, t) < 0 && errno != EINTR)
			break;
		file_reload(&fs);
		if (web_run(ws) < 0)
			break;
	}
	fprintf(stderr, "webtest: status document served %lu times, reloaded %llu times\n", fs.calls,
		(unsigned long long)fs.generation);
	web_stop(ws);
	json_decref(fs.doc);
	return 0;
}
