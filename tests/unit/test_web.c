/* test_web.c - Prometheus rendering of real-shaped status documents, listen addresses, token
 * files, and the server itself answering real HTTP requests through the owner-driven loop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web.h"
#include "web_metrics.h"
#include "web_page.h"

#define DATA_DIR "tests/data/web"
#define NOW 1764430100	/* 100 s after the documents' "generated" */

static json_t *load(const char *name)
{
	char path[256];
	json_error_t je;
	json_t *doc;

	snprintf(path, sizeof(path), DATA_DIR "/%s", name);
	doc = json_load_file(path, 0, &je);
	if (!doc)
		print_message("%s:%d: %s\n", path, je.line, je.text);
	assert_non_null(doc);
	return doc;
}

static char *render(const json_t *doc, time_t now)
{
	struct buf b;

	buf_init(&b);
	web_metrics_render(doc, now, &b);
	return buf_steal(&b);
}

/* The sample line "NAME{LABELS} VALUE" is in text as a whole line. */
static void assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	print_message("missing line: %s\n", line);
	fail();
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Every sample line's series (name and labels) appears once, and every family's TYPE once,
 * before its samples: what Prometheus' parser insists on. */
static void assert_exposition_valid(const char *text)
{
	char *copy = xstrdup(text), *save = NULL, *line;
	char **seen = NULL;
	size_t n_seen = 0;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp;

		if (line[0] == '#') {
			assert_true(str_startswith(line, "# HELP ") || str_startswith(line, "# TYPE "));
			continue;
		}
		sp = strrchr(line, ' ');
		assert_non_null(sp);
		*sp = '\0';
		for (size_t i = 0; i < n_seen; i++)
			if (strcmp(seen[i], line) == 0) {
				print_message("duplicate series: %s\n", line);
				fail();
			}
		seen = xrealloc(seen, (n_seen + 1) * sizeof(*seen));
		seen[n_seen++] = line;
		/* the family's TYPE line comes before its first sample */
		{
			size_t base = strcspn(line, "{");
			char type[256];

			snprintf(type, sizeof(type), "# TYPE %.*s ", (int)base, line);
			assert_non_null(strstr(text, type));
			assert_true(strstr(text, type) < text + (line - copy));
			assert_int_equal(count(text, type), 1);
		}
	}
	free(seen);
	free(copy);
}

static void test_metrics_lab_document(void **state)
{
	json_t *doc = load("status-up.json");
	char *m = render(doc, NOW);

	(void)state;
	assert_line(m, "tunnelctl_build_info{version=\"0.1.0\"} 1");
	assert_line(m, "tunnelctl_charon_reachable 1");
	assert_line(m, "tunnelctl_tunnel_up{tunnel=\"con1\"} 1");
	assert_line(m, "tunnelctl_tunnel_up{tunnel=\"con2\"} 0");
	/* established 2 s when collected, document 100 s old */
	assert_line(m, "tunnelctl_tunnel_established_seconds{tunnel=\"con1\"} 102");
	assert_null(strstr(m, "tunnelctl_tunnel_established_seconds{tunnel=\"con2\"}"));
	assert_line(m, "tunnelctl_child_up{tunnel=\"con1\",child=\"con1\"} 1");
	assert_line(m, "tunnelctl_child_up{tunnel=\"con2\",child=\"con2_3\"} 0");
	assert_line(m, "tunnelctl_child_up{tunnel=\"con2\",child=\"con2_4\"} 0");
	assert_line(m, "tunnelctl_child_bytes_in_total{tunnel=\"con1\",child=\"con1\"} 252");
	assert_line(m, "tunnelctl_child_packets_out_total{tunnel=\"con1\",child=\"con1\"} 3");
	assert_line(m, "tunnelctl_child_established_seconds{tunnel=\"con1\",child=\"con1\"} 102");
	assert_line(m, "tunnelctl_tunnel_reinitiations_total{tunnel=\"con2\"} 42");
	assert_line(m, "tunnelctl_tunnel_last_change_timestamp_seconds{tunnel=\"con2\"} 1764400000");
	assert_line(m, "tunnelctl_child_rekeys_total{tunnel=\"con1\",child=\"con1\"} 0");
	/* free text escaped as the format wants */
	assert_line(m, "tunnelctl_tunnel_info{tunnel=\"con2\",description=\"Branch \\\"West\\\"\","
		       "remote_host=\"198.51.100.7\"} 1");
	assert_exposition_valid(m);
	free(m);
	json_decref(doc);
}

/* Two SAs of one name (rekey overlap) give one series: up if either is, traffic summed. */
static void test_metrics_fold_duplicates(void **state)
{
	json_t *doc = json_pack("{s:I, s:[{s:s, s:s, s:i, s:[{s:s, s:s, s:s, s:s}]},"
				"{s:s, s:s, s:[{s:s, s:s, s:i, s:i}]}]}",
				"generated", (json_int_t)NOW,
				"ike_sas",
				"name", "con7", "state", "ESTABLISHED", "established", 50,
				"children", "name", "con7_1", "state", "INSTALLED", "bytes_in", "1000", "installed", "40",
				"name", "con7", "state", "CONNECTING",
				"children", "name", "con7_1", "state", "INSTALLED", "bytes_in", 24, "installed", 5);
	char *m;

	(void)state;
	assert_non_null(doc);
	m = render(doc, NOW);
	assert_line(m, "tunnelctl_tunnel_up{tunnel=\"con7\"} 1");
	assert_int_equal(count(m, "tunnelctl_tunnel_up{"), 1);
	assert_line(m, "tunnelctl_child_bytes_in_total{tunnel=\"con7\",child=\"con7_1\"} 1024");
	assert_line(m, "tunnelctl_child_established_seconds{tunnel=\"con7\",child=\"con7_1\"} 40");
	assert_exposition_valid(m);
	free(m);
	json_decref(doc);
}

/* The keep-alive counts per child: a tunnel's re-initiations are its children's sum. */
static void test_metrics_tunnel_reinitiations(void **state)
{
	json_t *doc = json_pack("{s:I, s:[{s:s, s:s, s:[{s:s, s:s, s:{s:i}}, {s:s, s:s, s:{s:i}}]}]}",
				"generated", (json_int_t)NOW, "ike_sas", "name", "con9", "state", "CONNECTING",
				"children", "name", "con9_1", "state", "disconnected", "keepalive", "reinitiations", 2,
				"name", "con9_2", "state", "disconnected", "keepalive", "reinitiations", 3);
	char *m;

	(void)state;
	assert_non_null(doc);
	m = render(doc, NOW);
	assert_line(m, "tunnelctl_tunnel_reinitiations_total{tunnel=\"con9\"} 5");
	assert_line(m, "tunnelctl_child_reinitiations_total{tunnel=\"con9\",child=\"con9_2\"} 3");
	assert_line(m, "tunnelctl_tunnel_up{tunnel=\"con9\"} 0");
	free(m);
	json_decref(doc);
}

/* No document fields at all: still valid, charon reported unreachable, no tunnel series. */
static void test_metrics_empty_document(void **state)
{
	json_t *doc = json_object();
	char *m = render(doc, NOW);

	(void)state;
	assert_line(m, "tunnelctl_charon_reachable 0");
	assert_null(strstr(m, "tunnelctl_tunnel_up"));
	assert_exposition_valid(m);
	free(m);
	json_decref(doc);
}

/* The documents served carry no secret: the lab's PSK and any psk/secret key are absent. */
static void assert_no_secret_keys(const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, x) {
			assert_null(strcasestr(key, "psk"));
			assert_null(strcasestr(key, "secret"));
			assert_null(strcasestr(key, "private"));
			assert_no_secret_keys(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			assert_no_secret_keys(x);
	}
}

static void test_no_secrets(void **state)
{
	static const char *const docs[] = { "status-up.json", "status-down.json" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		json_t *doc = load(docs[i]);
		char *text = json_dumps(doc, 0), *m = render(doc, NOW);

		assert_no_secret_keys(doc);
		assert_null(strstr(text, "lab-shared-secret"));
		assert_null(strstr(m, "lab-shared-secret"));
		free(text);
		free(m);
		json_decref(doc);
	}
}

/* The page works offline: no external script, style, font, image or frame. */
static void test_page_self_contained(void **state)
{
	(void)state;
	assert_null(strstr(web_page_html, "http://"));
	assert_null(strstr(web_page_html, "https://"));
	assert_null(strstr(web_page_html, "src="));
	assert_null(strstr(web_page_html, "<link"));
	assert_null(strstr(web_page_html, "@import"));
	assert_non_null(strstr(web_page_html, "fetch(\"/api/status\""));
	assert_non_null(strstr(web_page_html, "name=\"viewport\""));
}

static void test_parse_listen(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *addr;
		unsigned port;
		bool loopback;
	} cases[] = {
		{ "127.0.0.1:8714", 0, "127.0.0.1", 8714, true },
		{ "127.5.6.7:1", 0, "127.5.6.7", 1, true },
		{ "0.0.0.0:8714", 0, "0.0.0.0", 8714, false },
		{ "192.0.2.1:80", 0, "192.0.2.1", 80, false },
		{ "[::1]:8714", 0, "::1", 8714, true },
		{ "[::]:8714", 0, "::", 8714, false },
		{ "[2001:db8::1]:9", 0, "2001:db8::1", 9, false },
		{ "127.0.0.1:0", 0, "127.0.0.1", 0, true },
		{ "::1:8714", -EINVAL, NULL, 0, false },
		{ "localhost:8714", -EINVAL, NULL, 0, false },
		{ "127.0.0.1", -EINVAL, NULL, 0, false },
		{ "127.0.0.1:", -EINVAL, NULL, 0, false },
		{ "127.0.0.1:65536", -EINVAL, NULL, 0, false },
		{ "127.0.0.1:-1", -EINVAL, NULL, 0, false },
		{ "127.0.0.1:80x", -EINVAL, NULL, 0, false },
		{ ":8714", -EINVAL, NULL, 0, false },
		{ "[::1]8714", -EINVAL, NULL, 0, false },
		{ "", -EINVAL, NULL, 0, false },
	};
	char addr[64];
	unsigned port;
	bool lo;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = web_parse_listen(cases[i].in, addr, &port, &lo);

		if (rc != cases[i].rc)
			print_message("%s: %d\n", cases[i].in, rc);
		assert_int_equal(rc, cases[i].rc);
		if (rc)
			continue;
		assert_string_equal(addr, cases[i].addr);
		assert_int_equal(port, cases[i].port);
		assert_int_equal(lo, cases[i].loopback);
	}
}

/* ---- the server, driven like the daemon drives it ---- */

#define TOKEN "s3cr3t-token-0123456789abcdef"

struct fixed_source {
	json_t *doc;
	unsigned calls;
};

static json_t *fixed_status(void *arg, uint64_t *gen)
{
	struct fixed_source *fs = arg;

	fs->calls++;
	*gen = 1;
	return fs->doc ? json_incref(fs->doc) : NULL;
}

static char *write_token(const char *text, unsigned mode)
{
	char *path = xstrdup("/tmp/test_web_tokenXXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return path;
}

/* Send one raw request and run the server until it closed the connection; returns the
 * whole response (caller frees). */
static char *http(struct web_server *ws, const char *request)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct buf resp;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t sent = 0;

	buf_init(&resp);
	sa.sin_port = htons((uint16_t)web_port(ws));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	/* loopback connect completes without the server having run (the backlog accepts it) */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		assert_int_equal(errno, EINPROGRESS);
	for (int rounds = 0; rounds < 1000; rounds++) {
		struct pollfd p[2] = { { .fd = web_fd(ws), .events = POLLIN },
				       { .fd = fd, .events = POLLIN | (sent < strlen(request) ? POLLOUT : 0) } };
		char chunk[4096];
		ssize_t n;

		assert_true(poll(p, 2, 100) >= 0);
		assert_int_equal(web_run(ws), 0);
		if (p[1].revents & POLLOUT) {
			n = write(fd, request + sent, strlen(request) - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = read(fd, chunk, sizeof(chunk));
			if (n == 0)
				break;
			if (n > 0)
				buf_add(&resp, chunk, (size_t)n);
		}
	}
	close(fd);
	return buf_steal(&resp);
}

static struct web_server *start(const char *token_file, struct fixed_source *fs)
{
	struct web_source src = { fixed_status, fs };
	struct web_server *ws = NULL;
	char *err = NULL;
	int rc = web_start("127.0.0.1:0", token_file, &src, &ws, &err);

	if (rc)
		print_message("web_start: %s\n", err);
	assert_int_equal(rc, 0);
	assert_null(err);
	assert_true(web_fd(ws) >= 0);
	assert_true(web_port(ws) > 0);
	return ws;
}

static void test_server_routes(void **state)
{
	struct fixed_source fs = { load("status-up.json"), 0 };
	struct web_server *ws = start(NULL, &fs);
	char *r;

	(void)state;
	r = http(ws, "GET /api/status HTTP/1.0\r\n\r\n");
	assert_true(str_startswith(r, "HTTP/1.0 200") || str_startswith(r, "HTTP/1.1 200"));
	assert_non_null(strcasestr(r, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strcasestr(r, "\r\nCache-Control: no-store\r\n"));
	assert_non_null(strstr(r, "\"name\":\"con1\""));
	free(r);

	r = http(ws, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 200 "));
	assert_non_null(strcasestr(r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "\ntunnelctl_tunnel_up{tunnel=\"con1\"} 1\n"));
	free(r);

	r = http(ws, "GET / HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 200 "));
	assert_non_null(strcasestr(r, "\r\nContent-Type: text/html; charset=utf-8\r\n"));
	assert_non_null(strcasestr(r, "\r\nContent-Security-Policy: default-src 'none'"));
	free(r);

	/* HEAD: headers only */
	r = http(ws, "HEAD /api/status HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 200 "));
	assert_null(strstr(r, "\"name\""));
	free(r);

	/* read-only */
	r = http(ws, "POST /api/status HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}");
	assert_non_null(strstr(r, " 405 "));
	assert_non_null(strcasestr(r, "\r\nAllow: GET, HEAD\r\n"));
	free(r);
	r = http(ws, "DELETE / HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 405 "));
	free(r);

	r = http(ws, "GET /etc/passwd HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 404 "));
	free(r);

	/* served from the source's cache: one call per request, never more */
	assert_int_equal(fs.calls, 3);
	web_stop(ws);

	/* no document yet: 503, not an empty 200 */
	json_decref(fs.doc);
	fs.doc = NULL;
	ws = start(NULL, &fs);
	r = http(ws, "GET /api/status HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 503 "));
	free(r);
	web_stop(ws);
}

static void test_server_token(void **state)
{
	struct fixed_source fs = { load("status-up.json"), 0 };
	char *tok = write_token(TOKEN "\n", 0600);
	struct web_server *ws = start(tok, &fs);
	char *r, *req, *basic;
	struct buf b64;

	(void)state;
	r = http(ws, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 401 "));
	assert_non_null(strcasestr(r, "\r\nWWW-Authenticate: Basic realm=\"tunnelctl\""));
	assert_null(strstr(r, "tunnelctl_tunnel_up"));
	free(r);

	r = http(ws, "GET /metrics HTTP/1.0\r\nAuthorization: Bearer " TOKEN "x\r\n\r\n");
	assert_non_null(strstr(r, " 401 "));
	free(r);
	r = http(ws, "GET /metrics HTTP/1.0\r\nAuthorization: Bearer s3cr3t\r\n\r\n");
	assert_non_null(strstr(r, " 401 "));
	free(r);

	r = http(ws, "GET /metrics HTTP/1.0\r\nAuthorization: Bearer " TOKEN "\r\n\r\n");
	assert_non_null(strstr(r, " 200 "));
	assert_non_null(strstr(r, "tunnelctl_tunnel_up"));
	free(r);

	/* browsers: Basic with user tunnelctl and the token as password */
	buf_init(&b64);
	base64_encode(&b64, (const unsigned char *)"tunnelctl:" TOKEN, strlen("tunnelctl:" TOKEN));
	basic = buf_steal(&b64);
	req = xasprintf("GET / HTTP/1.0\r\nAuthorization: Basic %s\r\n\r\n", basic);
	r = http(ws, req);
	assert_non_null(strstr(r, " 200 "));
	free(r);
	free(req);
	free(basic);
	web_stop(ws);
	unlink(tok);
	free(tok);
	json_decref(fs.doc);
}

static void test_start_refusals(void **state)
{
	struct fixed_source fs = { NULL, 0 };
	struct web_source src = { fixed_status, &fs };
	struct web_server *ws = NULL;
	char *err = NULL, *tok;

	(void)state;
	/* beyond loopback without a token */
	assert_int_equal(web_start("0.0.0.0:0", NULL, &src, &ws, &err), -EPERM);
	assert_null(ws);
	assert_non_null(strstr(err, "token"));
	free(err);

	/* a token file others can read */
	tok = write_token(TOKEN, 0644);
	assert_int_equal(web_start("0.0.0.0:0", tok, &src, &ws, &err), -EPERM);
	assert_non_null(strstr(err, "0600"));
	free(err);
	unlink(tok);
	free(tok);

	/* a token too short to be one */
	tok = write_token("short\n", 0600);
	assert_int_equal(web_start("0.0.0.0:0", tok, &src, &ws, &err), -EINVAL);
	free(err);
	unlink(tok);
	free(tok);

	/* a token file beyond WEB_MAX_TOKEN */
	{
		char *big = xmalloc(WEB_MAX_TOKEN + 2);

		memset(big, 'a', WEB_MAX_TOKEN + 1);
		big[WEB_MAX_TOKEN + 1] = '\0';
		tok = write_token(big, 0600);
		assert_int_equal(web_start("0.0.0.0:0", tok, &src, &ws, &err), -EINVAL);
		assert_null(ws);
		free(err);
		unlink(tok);
		free(tok);
		free(big);
	}

	/* a symlink to a good token file, a FIFO (must not block) and a missing file: usage
	 * errors, like every other unusable --token-file (exit 2, docs/web.md) */
	{
		char link[64], fifo[64];

		snprintf(link, sizeof(link), "/tmp/test_web_link.%d", (int)getpid());
		snprintf(fifo, sizeof(fifo), "/tmp/test_web_fifo.%d", (int)getpid());

		tok = write_token(TOKEN "\n", 0600);
		assert_int_equal(symlink(tok, link), 0);
		assert_int_equal(web_start("0.0.0.0:0", link, &src, &ws, &err), -EPERM);
		assert_null(ws);
		assert_non_null(strstr(err, "symlink"));
		free(err);
		unlink(link);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(web_start("0.0.0.0:0", fifo, &src, &ws, &err), -EPERM);
		assert_null(ws);
		free(err);
		unlink(fifo);
		assert_int_equal(web_start("0.0.0.0:0", fifo, &src, &ws, &err), -EINVAL);
		assert_non_null(strstr(err, "No such file"));
		free(err);
		unlink(tok);
		free(tok);
	}

	/* an address that is not numeric */
	assert_int_equal(web_start("localhost:8714", NULL, &src, &ws, &err), -EINVAL);
	free(err);

	/* with a proper token file, beyond loopback is fine */
	tok = write_token(TOKEN "\n", 0600);
	assert_int_equal(web_start("0.0.0.0:0", tok, &src, &ws, &err), 0);
	assert_non_null(ws);
	web_stop(ws);
	unlink(tok);
	free(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_lab_document),
		cmocka_unit_test(test_metrics_fold_duplicates),
		cmocka_unit_test(test_metrics_tunnel_reinitiations),
		cmocka_unit_test(test_metrics_empty_document),
		cmocka_unit_test(test_no_secrets),
		cmocka_unit_test(test_page_self_contained),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_server_routes),
		cmocka_unit_test(test_server_token),
		cmocka_unit_test(test_start_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
