/* web.c - the daemon's HTTP server: libmicrohttpd in epoll mode, driven by the owner's loop.
 *
 * No thread: MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD gives one epoll descriptor
 * (web_fd) the owner polls; web_run() calls MHD_run(), which never blocks. Responses for
 * /api/status are built once per status generation and shared by every request (MHD
 * responses are reference counted); /metrics once per generation and second (SA ages move).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "web.h"
#include "web_metrics.h"
#include "web_page.h"

#define WEB_AUTH_USER "tunnelctl"	/* user name for HTTP Basic (browsers) */

/* One accepted connection, from MHD's connection-started to its closed notification. */
struct web_conn {
	struct web_conn *prev, *next;	/* ws->conns, oldest first */
	int fd;
	int64_t deadline_ms;		/* the request head must be complete by then */
	bool in_request;		/* head complete, response not yet sent */
	bool cut;			/* shut down by us; MHD closes it on its next read */
};

/* What a cached response shows: /api/status, /api/history, /metrics. */
enum web_view { WEB_VIEW_STATUS, WEB_VIEW_HISTORY, WEB_VIEW_METRICS, WEB_VIEW_COUNT };

struct web_server {
	struct MHD_Daemon *mhd;
	struct web_conn *conns, *conns_tail;	/* open connections, oldest first */
	unsigned n_conns;
	struct web_source src;
	bool auth;			/* a token is required */
	char bearer_hash[65];		/* sha256 of "Bearer TOKEN" */
	char basic_hash[65];		/* sha256 of "Basic base64(tunnelctl:TOKEN)" */
	struct MHD_Response *page;	/* built once */
	struct {
		struct MHD_Response *resp;	/* built from the document of generation gen at time */
		uint64_t gen;
		time_t time;
	} view[WEB_VIEW_COUNT];
};

/* ---- listen address ---- */

static bool addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	}
	return false;
}

/* Parse into a socket address; 0 or -EINVAL. */
static int listen_to_sockaddr(const char *listen, struct sockaddr_storage *ss, bool *loopback)
{
	char addr[64];
	unsigned port;
	int r = web_parse_listen(listen, addr, &port, loopback);

	if (r)
		return r;
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return -EINVAL;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return -EINVAL;
	}
	*loopback = addr_is_loopback(ss);
	return 0;
}

int web_parse_listen(const char *listen, char addr[64], unsigned *port, bool *loopback)
{
	const char *colon, *a = listen, *a_end;
	char *end;
	unsigned long p;
	struct in6_addr a6;
	struct in_addr a4;

	if (!listen || !*listen)
		return -EINVAL;
	if (*listen == '[') {
		a = listen + 1;
		a_end = strchr(a, ']');
		if (!a_end || a_end[1] != ':')
			return -EINVAL;
		colon = a_end + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
			return -EINVAL;	/* bare IPv6 needs brackets */
		a_end = colon;
	}
	if (a_end == a || (size_t)(a_end - a) >= 64 || !colon[1])
		return -EINVAL;
	p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535 || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	memcpy(addr, a, (size_t)(a_end - a));
	addr[a_end - a] = '\0';
	if (*listen == '[' ? inet_pton(AF_INET6, addr, &a6) != 1 : inet_pton(AF_INET, addr, &a4) != 1)
		return -EINVAL;
	*port = (unsigned)p;
	*loopback = *listen == '[' ? IN6_IS_ADDR_LOOPBACK(&a6) : (ntohl(a4.s_addr) >> 24) == 127;
	return 0;
}

/* ---- token ---- */

/* Read the token file (regular, not a symlink, not readable by group or others, bounded), and
 * keep only the hashes of the two accepted Authorization values. The type and mode checked are
 * those of the descriptor read (opened without blocking: a FIFO is refused, not waited on).
 * 0, or -EINVAL / -EPERM (the file given is unusable: a usage error) with *err. */
static int token_load(struct web_server *ws, const char *path, char **err)
{
	struct buf tok, hdr;
	struct stat st;
	int r;
	size_t i;

	buf_init(&hdr);
	r = file_read_regular(path, WEB_MAX_TOKEN, true, &tok, &st);
	if (r == -EINVAL || r == -EISDIR || r == -ELOOP || (r == 0 && (st.st_mode & 077))) {
		r = -EPERM;
		*err = xasprintf("%s: token file must be a regular file with mode 0600 (not a symlink)", path);
		goto out;
	}
	if (r) {
		*err = xasprintf("%s: %s", path, file_read_strerror(r));
		r = -EINVAL;
		goto out;
	}
	while (tok.len && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == '\r' ||
			   tok.data[tok.len - 1] == ' ' || tok.data[tok.len - 1] == '\t'))
		tok.data[--tok.len] = '\0';
	for (i = 0; i < tok.len; i++)
		if (tok.data[i] <= ' ' || tok.data[i] > '~')
			break;
	if (tok.len < WEB_MIN_TOKEN || i < tok.len) {
		r = -EINVAL;
		*err = xasprintf("%s: token must be one line of at least %d printable characters without spaces",
				 path, WEB_MIN_TOKEN);
		goto out;
	}
	buf_printf(&hdr, "Bearer %s", tok.data);
	sha256_hex(hdr.data, hdr.len, ws->bearer_hash);
	hdr.len = 0;
	{
		struct buf cred;

		buf_init(&cred);
		buf_printf(&cred, "%s:%s", WEB_AUTH_USER, tok.data);
		buf_adds(&hdr, "Basic ");
		base64_encode(&hdr, (const unsigned char *)cred.data, cred.len);
		buf_free_secret(&cred);
	}
	sha256_hex(hdr.data, hdr.len, ws->basic_hash);
	ws->auth = true;
out:
	buf_free_secret(&tok);
	buf_free_secret(&hdr);
	return r;
}

/* Equality of two 64-character hex digests in time independent of where they differ. */
static bool digest_eq(const char *a, const char *b)
{
	unsigned char d = 0;

	for (size_t i = 0; i < 64; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Hashing first makes the compare independent of the token's length too. */
static bool request_authorized(const struct web_server *ws, struct MHD_Connection *conn)
{
	const char *h;
	char got[65];
	bool bearer, basic;

	if (!ws->auth)
		return true;
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h)
		return false;
	sha256_hex(h, strlen(h), got);
	bearer = digest_eq(got, ws->bearer_hash);
	basic = digest_eq(got, ws->basic_hash);
	return bearer | basic;
}

/* ---- slow clients ---- */

/* Shut the socket down under MHD: its next read sees the end and MHD closes the connection
 * the usual way (notifications, per-address count); closing the descriptor here would not. */
static void conn_cut(struct web_conn *c)
{
	if (c->cut)
		return;
	c->cut = true;
	shutdown(c->fd, SHUT_RDWR);
}

static void conn_started(struct web_server *ws, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct web_conn *c = xcalloc(1, sizeof(*c));

	c->fd = i ? i->connect_fd : -1;
	c->deadline_ms = now_ms() + WEB_HEAD_DEADLINE_MS;
	c->prev = ws->conns_tail;
	if (ws->conns_tail)
		ws->conns_tail->next = c;
	else
		ws->conns = c;
	ws->conns_tail = c;
	*socket_context = c;
	/* full: the oldest connection still without a request head makes room */
	if (++ws->n_conns > WEB_MAX_CONNECTIONS) {
		for (struct web_conn *o = ws->conns; o != c; o = o->next) {
			if (!o->in_request && !o->cut) {
				conn_cut(o);
				break;
			}
		}
	}
}

static void conn_closed(struct web_server *ws, struct web_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		ws->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		ws->conns_tail = c->prev;
	ws->n_conns--;
	free(c);
}

static void web_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
				  enum MHD_ConnectionNotificationCode toe)
{
	struct web_server *ws = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(ws, conn, socket_context);
	else if (*socket_context)
		conn_closed(ws, *socket_context);
}

static struct web_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

/* A response was sent: on a kept-alive connection the next head has the same deadline. */
static void web_notify_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				 enum MHD_RequestTerminationCode toe)
{
	struct web_conn *c = conn_of(conn);

	(void)cls;
	(void)con_cls;
	(void)toe;
	if (c) {
		c->in_request = false;
		c->deadline_ms = now_ms() + WEB_HEAD_DEADLINE_MS;
	}
}

/* Cut every connection past its head deadline. */
static void conns_sweep(struct web_server *ws)
{
	int64_t now = now_ms();

	for (struct web_conn *c = ws->conns; c; c = c->next)
		if (!c->in_request && !c->cut && c->deadline_ms <= now)
			conn_cut(c);
}

/* ---- responses ---- */

static void add_common_headers(struct MHD_Response *resp, const char *type)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

/* A response that owns a copy of text. */
static struct MHD_Response *response_text(const char *text, size_t len, const char *type)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);

	if (resp)
		add_common_headers(resp, type);
	return resp;
}

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned status, const char *text,
				  const char *extra_name, const char *extra_value)
{
	struct MHD_Response *resp = response_text(text, strlen(text), "text/plain; charset=utf-8");
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	if (extra_name)
		MHD_add_response_header(resp, extra_name, extra_value);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* 401, and the connection is closed after it: a client without the token holds no slot. */
static enum MHD_Result queue_unauthorized(struct MHD_Connection *conn)
{
	static const char text[] = "unauthorized\n";
	struct MHD_Response *resp = response_text(text, strlen(text), "text/plain; charset=utf-8");
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				"Basic realm=\"tunnelctl\", charset=\"UTF-8\"");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	r = MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, resp);
	MHD_destroy_response(resp);
	return r;
}

static void response_replace(struct MHD_Response **slot, struct MHD_Response *resp)
{
	if (*slot)
		MHD_destroy_response(*slot);
	*slot = resp;
}

/* The cached response for one view, rebuilt when the document changed (and for /metrics each
 * second: ages move). NULL when there is no document yet. */
static struct MHD_Response *response_for(struct web_server *ws, enum web_view v)
{
	uint64_t gen = 0;
	time_t now = time(NULL);
	json_t *doc, *part;
	char *text;
	struct buf b;

	doc = ws->src.status(ws->src.arg, &gen);
	if (!doc)
		return NULL;
	if (ws->view[v].resp && ws->view[v].gen == gen && (v != WEB_VIEW_METRICS || ws->view[v].time == now))
		goto out;
	if (v == WEB_VIEW_METRICS) {
		buf_init(&b);
		web_metrics_render(doc, now, &b);
		response_replace(&ws->view[v].resp, response_text(b.data, b.len, "text/plain; version=0.0.4; charset=utf-8"));
		buf_free(&b);
	} else {
		/* /api/history: each tunnel's timeline summary (timeline.h), with the document's time */
		part = v == WEB_VIEW_STATUS ? json_incref(doc)
					    : json_pack("{s:O, s:O}", "generated", json_object_get(doc, "generated"),
							"history", json_object_get(doc, "history") ? json_object_get(doc, "history")
												   : json_object());
		text = part ? json_dumps(part, JSON_COMPACT) : NULL;
		json_decref(part);
		if (!text)
			goto out;
		response_replace(&ws->view[v].resp, response_text(text, strlen(text), "application/json"));
		free(text);
	}
	ws->view[v].gen = gen;
	ws->view[v].time = now;
out:
	json_decref(doc);
	return ws->view[v].resp;
}

static enum MHD_Result web_handle(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct web_server *ws = cls;
	struct MHD_Response *resp;
	struct web_conn *c = conn_of(conn);

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (c)
		c->in_request = true;	/* the head is complete: its deadline no longer applies */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: read-only\n",
				  MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (!request_authorized(ws, conn))
		return queue_unauthorized(conn);
	if (strcmp(url, "/") == 0)
		resp = ws->page;
	else if (strcmp(url, "/api/status") == 0)
		resp = response_for(ws, WEB_VIEW_STATUS);
	else if (strcmp(url, "/api/history") == 0)
		resp = response_for(ws, WEB_VIEW_HISTORY);
	else if (strcmp(url, "/metrics") == 0)
		resp = response_for(ws, WEB_VIEW_METRICS);
	else
		return queue_text(conn, MHD_HTTP_NOT_FOUND, "not found\n", NULL, NULL);
	if (!resp)
		return queue_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no status yet\n", NULL, NULL);
	return MHD_queue_response(conn, MHD_HTTP_OK, resp);
}

/* ---- lifecycle ---- */

int web_start(const char *listen, const char *token_file, const struct web_source *src,
	      struct web_server **out, char **err)
{
	struct web_server *ws;
	struct sockaddr_storage ss;
	bool loopback;
	unsigned flags = MHD_USE_EPOLL;
	int r;

	*out = NULL;
	*err = NULL;
	if (!listen)
		listen = WEB_DEFAULT_LISTEN;
	if (listen_to_sockaddr(listen, &ss, &loopback)) {
		*err = xasprintf("bad listen address '%s' (want ADDR:PORT or [ADDR]:PORT, numeric)", listen);
		return -EINVAL;
	}
	if (!loopback && !token_file) {
		*err = xasprintf("listening on %s (not loopback) needs a token file", listen);
		return -EPERM;
	}
	ws = xcalloc(1, sizeof(*ws));
	ws->src = *src;
	if (token_file) {
		r = token_load(ws, token_file, err);
		if (r) {
			free(ws);
			return r;
		}
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ws->mhd = MHD_start_daemon(flags, 0, NULL, NULL, web_handle, ws,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				   /* room for the evicted ones until MHD has closed them */
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * WEB_MAX_CONNECTIONS),
				   MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)WEB_MAX_PER_ADDRESS,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_CONNECTION_TIMEOUT,
				   MHD_OPTION_NOTIFY_CONNECTION, web_notify_connection, ws,
				   MHD_OPTION_NOTIFY_COMPLETED, web_notify_completed, ws,
				   MHD_OPTION_END);
	if (!ws->mhd) {
		r = errno ? -errno : -EIO;
		*err = xasprintf("cannot listen on %s: %s", listen, strerror(-r));
		web_stop(ws);
		return r;
	}
	ws->page = response_text(web_page_html, strlen(web_page_html), "text/html; charset=utf-8");
	MHD_add_response_header(ws->page, "Content-Security-Policy",
				"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
				"connect-src 'self'; img-src data:; frame-ancestors 'none'");
	*out = ws;
	return 0;
}

int web_fd(const struct web_server *ws)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(ws->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

/* The bound port (useful after listening on port 0). */
unsigned web_port(const struct web_server *ws)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(ws->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

int web_timeout_ms(const struct web_server *ws)
{
	MHD_UNSIGNED_LONG_LONG t;
	int64_t head = -1;
	int ms = -1;

	for (const struct web_conn *c = ws->conns; c; c = c->next)
		if (!c->in_request && !c->cut && (head < 0 || c->deadline_ms < head))
			head = c->deadline_ms;
	if (MHD_get_timeout(ws->mhd, &t) == MHD_YES)
		ms = t > INT32_MAX ? INT32_MAX : (int)t;
	if (head >= 0) {
		int64_t left = head - now_ms();
		int h = left < 0 ? 0 : (int)(left > INT32_MAX ? INT32_MAX : left);
		if (ms < 0 || h < ms)
			ms = h;
	}
	return ms;
}

int web_run(struct web_server *ws)
{
	if (MHD_run(ws->mhd) != MHD_YES)
		return -EIO;
	conns_sweep(ws);
	return 0;
}

void web_stop(struct web_server *ws)
{
	if (!ws)
		return;
	if (ws->mhd)
		MHD_stop_daemon(ws->mhd);
	response_replace(&ws->page, NULL);
	for (size_t v = 0; v < WEB_VIEW_COUNT; v++)
		response_replace(&ws->view[v].resp, NULL);
	secret_wipe(ws, sizeof(*ws));
	free(ws);
}
