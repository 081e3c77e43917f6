/* vici_client.c - VICI over a unix socket: framing, deadlines, queued events. */
#include "vici_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

struct queued_event {
	char *name;
	struct vici_node *msg;
	size_t wire;		/* its size on the wire, counted in queued_bytes */
};

struct vici_client {
	int fd;
	char *path;
	struct queued_event *queue;	/* FIFO: head .. n */
	size_t head, n, cap;
	size_t queued_bytes;		/* wire size of the queued events */
	size_t dropped;			/* events dropped since vici_client_dropped last asked */
	struct buf in;			/* bytes read, not yet taken as packets: in_off .. in.len */
	size_t in_off;
};

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char **err, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	if (!err)
		return;
	free(*err);
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*err = buf_steal(&b);
}

/* Milliseconds left until deadline (-1: none), at least 0. */
static int remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static const char *uri_path(const char *uri)
{
	if (str_startswith(uri, "unix://"))
		return uri + strlen("unix://");
	return uri;
}

int vici_client_connect(const char *uri, int timeout_ms, struct vici_client **out, char **err)
{
	const char *path = uri_path(uri);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vici_client *c;
	int fd, rc;

	(void)timeout_ms;	/* a unix socket connects at once or fails */
	*out = NULL;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		set_err(err, "bad VICI URI '%s': use unix:///path/to/charon.vici", uri);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		set_err(err, "cannot create a socket: %s", strerror(errno));
		return rc;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		if (errno == ENOENT)
			set_err(err, "charon is not running (no VICI socket at %s); start it with `tunnelctl service start`", path);
		else if (errno == ECONNREFUSED)
			set_err(err, "charon is not running (connection refused at %s); start it with `tunnelctl service start`", path);
		else if (errno == EACCES)
			set_err(err, "permission denied on %s: run as root", path);
		else
			set_err(err, "cannot connect to %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->path = xstrdup(path);
	buf_init(&c->in);
	*out = c;
	return 0;
}

void vici_client_close(struct vici_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	for (size_t i = c->head; i < c->n; i++) {
		free(c->queue[i].name);
		vici_node_free(c->queue[i].msg);
	}
	free(c->queue);
	buf_free_secret(&c->in);
	free(c->path);
	free(c);
}

int vici_client_fd(const struct vici_client *c)
{
	return c->fd;
}

int vici_client_pending(const struct vici_client *c)
{
	size_t have = c->in.len - c->in_off;
	const unsigned char *p = (const unsigned char *)c->in.data + c->in_off;

	if (c->n > c->head)
		return 1;
	/* a whole packet read along with an earlier one waits in the buffer, not on the socket */
	return have >= VICI_HEADER_LEN &&
	       have >= VICI_HEADER_LEN + ((size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
}

/* Write all of data before the deadline. */
static int write_all(struct vici_client *c, const char *data, size_t len, int64_t deadline, char **err)
{
	while (len) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		int pr = poll(&p, 1, remaining(deadline));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			set_err(err, "timed out sending to charon at %s", c->path);
			return -ETIMEDOUT;
		}
		ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			int rc = -errno;
			set_err(err, "charon closed the VICI connection at %s: %s", c->path, strerror(errno));
			return rc;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static int send_packet(struct vici_client *c, enum vici_packet_type type, const char *name,
		       const struct vici_msg *msg, int64_t deadline, char **err)
{
	struct buf b;
	int rc;

	buf_init(&b);
	rc = vici_packet_build(type, name, msg, &b);
	if (rc != 0)
		set_err(err, "cannot build the VICI %s packet '%s': %s", vici_packet_type_names[type],
			name ? name : "", strerror(-rc));
	else
		rc = write_all(c, b.data, b.len, deadline, err);
	buf_free_secret(&b);
	return rc;
}

/* Move what the socket has now (up to VICI_CLIENT_READ_CHUNK bytes) into c->in without
 * waiting. 0 (something read), -EAGAIN (nothing there), or -errno with *err set. */
static int fill(struct vici_client *c, char **err)
{
	size_t rest = c->in.len - c->in_off;
	ssize_t r;

	/* move the partial packet to the front once the consumed part is at least as long: the
	 * buffer stays under two messages and a read, and each byte is moved at most once */
	if (c->in_off && c->in_off >= rest) {
		memmove(c->in.data, c->in.data + c->in_off, rest);
		explicit_bzero(c->in.data + rest, c->in.len - rest);
		c->in.len = rest;
		c->in_off = 0;
	}
	buf_reserve(&c->in, VICI_CLIENT_READ_CHUNK);
	do
		r = recv(c->fd, c->in.data + c->in.len, VICI_CLIENT_READ_CHUNK, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		set_err(err, "charon closed the VICI connection at %s", c->path);
		return -EPIPE;
	}
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -EAGAIN;
		int rc = -errno;
		set_err(err, "reading from charon at %s: %s", c->path, strerror(errno));
		return rc;
	}
	c->in.len += (size_t)r;
	return 0;
}

/* Take one whole packet out of c->in; *wire gets its size on the wire. 0, -EAGAIN (not all
 * of it is here yet), or -errno with *err set (the connection is then unusable). */
static int take_packet(struct vici_client *c, struct vici_packet *pkt, size_t *wire, char **err)
{
	const unsigned char *p = (const unsigned char *)c->in.data + c->in_off;
	size_t have = c->in.len - c->in_off, len, used;
	struct vici_err verr;
	int rc;

	if (have < VICI_HEADER_LEN)
		return -EAGAIN;
	len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	if (len > VICI_MAX_MESSAGE) {
		set_err(err, "charon sent a %zu byte VICI message, over the %u byte limit", len, VICI_MAX_MESSAGE);
		return -E2BIG;
	}
	if (have < VICI_HEADER_LEN + len)
		return -EAGAIN;
	rc = vici_packet_decode(p, VICI_HEADER_LEN + len, &used, pkt, &verr);
	if (rc != 0) {
		set_err(err, "malformed VICI packet from charon at byte %zu: %s", verr.offset, verr.what);
		return rc == -EAGAIN ? -EPROTO : rc;
	}
	/* the buffer may hold a secret (a PSK in a reply): wipe what was consumed */
	explicit_bzero(c->in.data + c->in_off, used);
	c->in_off += used;
	*wire = used;
	return 0;
}

/* Read one packet: a buffered one at once, else wait for one until the deadline. Partial
 * packets stay buffered, so a short wait never leaves the stream out of step. */
static int recv_packet(struct vici_client *c, struct vici_packet *pkt, size_t *wire, int64_t deadline,
		       char **err)
{
	for (;;) {
		int rc = take_packet(c, pkt, wire, err);
		if (rc != -EAGAIN)
			return rc;
		rc = fill(c, err);
		if (rc == 0)
			continue;
		if (rc != -EAGAIN)
			return rc;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&p, 1, remaining(deadline));
		if (pr < 0 && errno == EINTR)
			return -EINTR;	/* a signal: the caller decides whether to go on */
		if (pr < 0) {
			rc = -errno;
			set_err(err, "waiting for charon at %s: %s", c->path, strerror(errno));
			return rc;
		}
		if (pr == 0) {
			set_err(err, "timed out waiting for charon at %s", c->path);
			return -ETIMEDOUT;
		}
	}
}

/* Queue an event read while a command was in flight. Past the bounds the event is dropped
 * and counted (vici_client_dropped): its reader re-lists SAs rather than trust the queue. */
static void queue_event(struct vici_client *c, struct vici_packet *pkt, size_t wire)
{
	if (c->n - c->head >= VICI_CLIENT_MAX_QUEUE || c->queued_bytes + wire > VICI_CLIENT_MAX_QUEUE_BYTES) {
		c->dropped++;
		return;
	}
	if (c->head == c->n)
		c->head = c->n = 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->queue = xrealloc(c->queue, c->cap * sizeof(*c->queue));
	}
	c->queue[c->n].name = xstrdup(pkt->name);
	c->queue[c->n].msg = pkt->msg;
	c->queue[c->n].wire = wire;
	c->queued_bytes += wire;
	pkt->msg = NULL;
	c->n++;
}

/* Where a streamed command's events go: each(arg, msg) takes every one. */
struct sink {
	void (*each)(void *arg, struct vici_node *msg);
	void *arg;
};

/* The sink of vici_client_stream: an array that doubles as it fills. */
struct collected {
	struct vici_node **v;
	size_t n, cap;
};

static void collect(void *arg, struct vici_node *msg)
{
	struct collected *c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	c->v[c->n++] = msg;
}

/* Read packets until one of the wanted type arrives; events go to the queue, or to sink
 * when their name is stream_event. The deadline is absolute: a charon that keeps sending
 * events without ever answering still runs into it. */
static int recv_until(struct vici_client *c, enum vici_packet_type want, const char *stream_event,
		      const struct sink *sink, struct vici_packet *out, int64_t deadline, char **err)
{
	size_t streamed = 0;

	for (;;) {
		struct vici_packet pkt = { 0 };
		size_t wire = 0;
		int rc;

		if (deadline >= 0 && now_ms() >= deadline) {
			set_err(err, "timed out waiting for charon at %s (it kept sending events, never the answer)",
				c->path);
			return -ETIMEDOUT;
		}
		rc = recv_packet(c, &pkt, &wire, deadline, err);
		if (rc == -EINTR)
			continue;
		if (rc != 0)
			return rc;
		if (pkt.type == VICI_EVENT) {
			if (stream_event && strcmp(pkt.name, stream_event) == 0) {
				streamed += wire;
				if (streamed > VICI_CLIENT_MAX_STREAM_BYTES) {
					set_err(err, "charon sent more than %u bytes of %s events for one command",
						VICI_CLIENT_MAX_STREAM_BYTES, stream_event);
					vici_packet_clear(&pkt);
					return -E2BIG;
				}
				sink->each(sink->arg, pkt.msg);
				pkt.msg = NULL;
			} else {
				queue_event(c, &pkt, wire);
			}
			vici_packet_clear(&pkt);
			continue;
		}
		/* a command gets CMD_RESPONSE or CMD_UNKNOWN; a registration EVENT_CONFIRM or EVENT_UNKNOWN */
		if (pkt.type == want || (want == VICI_CMD_RESPONSE && pkt.type == VICI_CMD_UNKNOWN) ||
		    (want == VICI_EVENT_CONFIRM && pkt.type == VICI_EVENT_UNKNOWN)) {
			*out = pkt;
			return 0;
		}
		set_err(err, "unexpected VICI %s packet from charon", vici_packet_type_names[pkt.type]);
		vici_packet_clear(&pkt);
		return -EPROTO;
	}
}

/* Read the response of a command sent (cmd names it in messages; may be NULL). */
static int finish_request(struct vici_client *c, const char *cmd, const char *stream_event,
			  const struct sink *sink, int64_t deadline, struct vici_node **reply, char **err)
{
	struct vici_packet pkt = { 0 };
	int rc;

	rc = recv_until(c, VICI_CMD_RESPONSE, stream_event, sink, &pkt, deadline, err);
	if (rc != 0)
		return rc;
	if (pkt.type == VICI_CMD_UNKNOWN) {
		set_err(err, "charon does not know the VICI command '%s' (too old a strongSwan?)", cmd ? cmd : "?");
		vici_packet_clear(&pkt);
		return -ENOTSUP;
	}
	if (reply) {
		*reply = pkt.msg;
		pkt.msg = NULL;
	}
	vici_packet_clear(&pkt);
	return 0;
}

static int do_request(struct vici_client *c, const char *cmd, const struct vici_msg *msg, int64_t deadline,
		      struct vici_node **reply, char **err)
{
	int rc = send_packet(c, VICI_CMD_REQUEST, cmd, msg, deadline, err);

	if (rc != 0)
		return rc;
	return finish_request(c, cmd, NULL, NULL, deadline, reply, err);
}

int vici_client_send(struct vici_client *c, const char *cmd, const struct vici_msg *msg, int timeout_ms,
		     char **err)
{
	return send_packet(c, VICI_CMD_REQUEST, cmd, msg, deadline_of(timeout_ms), err);
}

int vici_client_response(struct vici_client *c, int timeout_ms, struct vici_node **reply, char **err)
{
	*reply = NULL;
	return finish_request(c, NULL, NULL, NULL, deadline_of(timeout_ms), reply, err);
}

int vici_client_request(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
			int timeout_ms, struct vici_node **reply, char **err)
{
	*reply = NULL;
	return do_request(c, cmd, msg, deadline_of(timeout_ms), reply, err);
}

static int registration(struct vici_client *c, enum vici_packet_type type, const char *event,
			int64_t deadline, char **err)
{
	struct vici_packet pkt = { 0 };
	int rc = send_packet(c, type, event, NULL, deadline, err);

	if (rc == 0)
		rc = recv_until(c, VICI_EVENT_CONFIRM, NULL, NULL, &pkt, deadline, err);
	if (rc != 0)
		return rc;
	if (pkt.type == VICI_EVENT_UNKNOWN) {
		set_err(err, "charon does not know the VICI event '%s'", event);
		rc = -ENOENT;
	}
	vici_packet_clear(&pkt);
	return rc;
}

int vici_client_register(struct vici_client *c, const char *event, int timeout_ms, char **err)
{
	return registration(c, VICI_EVENT_REGISTER, event, deadline_of(timeout_ms), err);
}

int vici_client_unregister(struct vici_client *c, const char *event, int timeout_ms, char **err)
{
	return registration(c, VICI_EVENT_UNREGISTER, event, deadline_of(timeout_ms), err);
}

static int stream_begin(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
			const char *event, int64_t deadline, char **err)
{
	int rc = registration(c, VICI_EVENT_REGISTER, event, deadline, err);

	if (rc == 0)
		rc = send_packet(c, VICI_CMD_REQUEST, cmd, msg, deadline, err);
	return rc;
}

static int stream_end(struct vici_client *c, const char *cmd, const char *event, int64_t deadline,
		      const struct sink *sink, char **err)
{
	int rc = finish_request(c, cmd, event, sink, deadline, NULL, err);

	if (rc == 0)
		rc = registration(c, VICI_EVENT_UNREGISTER, event, deadline, err);
	return rc;
}

/* stream_end into an array: *events and *n_events, nothing on failure */
static int stream_end_collect(struct vici_client *c, const char *cmd, const char *event, int64_t deadline,
			      struct vici_node ***events, size_t *n_events, char **err)
{
	struct collected got = { 0 };
	struct sink sink = { collect, &got };
	int rc = stream_end(c, cmd, event, deadline, &sink, err);

	if (rc != 0) {
		vici_nodes_free(got.v, got.n);
		got = (struct collected){ 0 };
	}
	*events = got.v;
	*n_events = got.n;
	return rc;
}

int vici_client_stream_begin(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
			     const char *event, int timeout_ms, char **err)
{
	return stream_begin(c, cmd, msg, event, deadline_of(timeout_ms), err);
}

int vici_client_stream_end(struct vici_client *c, const char *cmd, const char *event, int timeout_ms,
			   struct vici_node ***events, size_t *n_events, char **err)
{
	return stream_end_collect(c, cmd, event, deadline_of(timeout_ms), events, n_events, err);
}

int vici_client_stream_each(struct vici_client *c, const char *cmd, const char *event, int timeout_ms,
			    void (*each)(void *arg, struct vici_node *msg), void *arg, char **err)
{
	struct sink sink = { each, arg };

	return stream_end(c, cmd, event, deadline_of(timeout_ms), &sink, err);
}

int vici_client_stream(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
		       const char *event, int timeout_ms, struct vici_node ***events, size_t *n_events,
		       char **err)
{
	int64_t deadline = deadline_of(timeout_ms);
	int rc;

	*events = NULL;
	*n_events = 0;
	rc = stream_begin(c, cmd, msg, event, deadline, err);
	if (rc == 0)
		rc = stream_end_collect(c, cmd, event, deadline, events, n_events, err);
	return rc;
}

int vici_client_wait_event(struct vici_client *c, int timeout_ms, char **name, struct vici_node **msg,
			   char **err)
{
	int64_t deadline = deadline_of(timeout_ms);

	*name = NULL;
	*msg = NULL;
	if (c->head == c->n) {
		struct vici_packet pkt = { 0 };
		size_t wire = 0;
		char *why = NULL;
		int rc = recv_packet(c, &pkt, &wire, deadline, &why);
		if (rc == -ETIMEDOUT || rc == -EINTR) {
			free(why);	/* no event is not an error: nothing to say */
			return rc;
		}
		if (rc != 0) {
			if (err) {
				free(*err);
				*err = why;
			} else {
				free(why);
			}
			return rc;
		}
		if (pkt.type != VICI_EVENT) {
			set_err(err, "unexpected VICI %s packet from charon", vici_packet_type_names[pkt.type]);
			vici_packet_clear(&pkt);
			return -EPROTO;
		}
		*name = xstrdup(pkt.name);
		*msg = pkt.msg;
		pkt.msg = NULL;
		vici_packet_clear(&pkt);
		return 0;
	}
	*name = c->queue[c->head].name;
	*msg = c->queue[c->head].msg;
	c->queued_bytes -= c->queue[c->head].wire;
	c->head++;
	return 0;
}

size_t vici_client_dropped(struct vici_client *c)
{
	size_t n = c->dropped;

	c->dropped = 0;
	return n;
}
