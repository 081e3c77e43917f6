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
};

struct vici_client {
	int fd;
	char *path;
	struct queued_event *queue;	/* FIFO: head .. n */
	size_t head, n, cap;
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
	free(c->path);
	free(c);
}

int vici_client_fd(const struct vici_client *c)
{
	return c->fd;
}

int vici_client_pending(const struct vici_client *c)
{
	return c->n > c->head;
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

/* Read exactly len bytes before the deadline. */
static int read_all(struct vici_client *c, char *data, size_t len, int64_t deadline, char **err)
{
	while (len) {
		/* read what is there first; poll only when nothing is (one syscall per read in a stream) */
		ssize_t r = recv(c->fd, data, len, MSG_DONTWAIT);
		if (r == 0) {
			set_err(err, "charon closed the VICI connection at %s", c->path);
			return -EPIPE;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				int rc = -errno;
				set_err(err, "reading from charon at %s: %s", c->path, strerror(errno));
				return rc;
			}
			struct pollfd p = { .fd = c->fd, .events = POLLIN };
			int pr = poll(&p, 1, remaining(deadline));
			if (pr < 0 && errno != EINTR) {
				int rc = -errno;
				set_err(err, "waiting for charon at %s: %s", c->path, strerror(errno));
				return rc;
			}
			if (pr == 0) {
				set_err(err, "timed out waiting for charon at %s", c->path);
				return -ETIMEDOUT;
			}
			continue;
		}
		data += r;
		len -= (size_t)r;
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

/* Read one packet. */
static int recv_packet(struct vici_client *c, struct vici_packet *pkt, int64_t deadline, char **err)
{
	unsigned char hdr[VICI_HEADER_LEN];
	struct vici_err verr;
	size_t len, used;
	struct buf b;
	int rc;

	/* the caller's deadline bounds the wait for a packet to begin; once its first byte is
	 * here the rest is read on a deadline of its own, so a short wait (e.g. 0 ms) never
	 * leaves half a packet consumed and the stream out of step */
	rc = read_all(c, (char *)hdr, 1, deadline, err);
	if (rc != 0)
		return rc;
	deadline = now_ms() + VICI_CLIENT_PACKET_MS;
	rc = read_all(c, (char *)hdr + 1, sizeof(hdr) - 1, deadline, err);
	if (rc == -ETIMEDOUT)
		rc = -EPROTO;	/* a packet cut off mid-way: the connection is unusable */
	if (rc != 0)
		return rc;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (len > VICI_MAX_MESSAGE) {
		set_err(err, "charon sent a %zu byte VICI message, over the %u byte limit", len, VICI_MAX_MESSAGE);
		return -E2BIG;
	}
	buf_init(&b);
	buf_add(&b, hdr, sizeof(hdr));
	buf_reserve(&b, len);
	rc = read_all(c, b.data + b.len, len, deadline, err);
	if (rc == -ETIMEDOUT)
		rc = -EPROTO;
	if (rc == 0) {
		b.len += len;
		rc = vici_packet_decode(b.data, b.len, &used, pkt, &verr);
		if (rc != 0)
			set_err(err, "malformed VICI packet from charon at byte %zu: %s", verr.offset, verr.what);
	}
	buf_free_secret(&b);
	return rc;
}

static int queue_event(struct vici_client *c, struct vici_packet *pkt, char **err)
{
	if (c->n - c->head >= VICI_CLIENT_MAX_QUEUE) {
		set_err(err, "more than %d VICI events queued without being read", VICI_CLIENT_MAX_QUEUE);
		return -ENOBUFS;
	}
	if (c->head == c->n)
		c->head = c->n = 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->queue = xrealloc(c->queue, c->cap * sizeof(*c->queue));
	}
	c->queue[c->n].name = xstrdup(pkt->name);
	c->queue[c->n].msg = pkt->msg;
	pkt->msg = NULL;
	c->n++;
	return 0;
}

/* Read packets until one of the wanted type arrives; events go to the queue, or to
 * collect when their name is stream_event. */
static int recv_until(struct vici_client *c, enum vici_packet_type want, const char *stream_event,
		      struct vici_node ***events, size_t *n_events, struct vici_packet *out,
		      int64_t deadline, char **err)
{
	for (;;) {
		struct vici_packet pkt = { 0 };
		int rc = recv_packet(c, &pkt, deadline, err);
		if (rc != 0)
			return rc;
		if (pkt.type == VICI_EVENT) {
			if (stream_event && strcmp(pkt.name, stream_event) == 0) {
				*events = xrealloc(*events, (*n_events + 1) * sizeof(**events));
				(*events)[(*n_events)++] = pkt.msg;
				pkt.msg = NULL;
			} else {
				rc = queue_event(c, &pkt, err);
			}
			vici_packet_clear(&pkt);
			if (rc != 0)
				return rc;
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
			  struct vici_node ***events, size_t *n_events, int64_t deadline,
			  struct vici_node **reply, char **err)
{
	struct vici_packet pkt = { 0 };
	int rc;

	rc = recv_until(c, VICI_CMD_RESPONSE, stream_event, events, n_events, &pkt, deadline, err);
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

static int do_request(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
		      const char *stream_event, struct vici_node ***events, size_t *n_events,
		      int64_t deadline, struct vici_node **reply, char **err)
{
	int rc = send_packet(c, VICI_CMD_REQUEST, cmd, msg, deadline, err);

	if (rc != 0)
		return rc;
	return finish_request(c, cmd, stream_event, events, n_events, deadline, reply, err);
}

int vici_client_send(struct vici_client *c, const char *cmd, const struct vici_msg *msg, int timeout_ms,
		     char **err)
{
	return send_packet(c, VICI_CMD_REQUEST, cmd, msg, deadline_of(timeout_ms), err);
}

int vici_client_response(struct vici_client *c, int timeout_ms, struct vici_node **reply, char **err)
{
	*reply = NULL;
	return finish_request(c, NULL, NULL, NULL, NULL, deadline_of(timeout_ms), reply, err);
}

int vici_client_request(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
			int timeout_ms, struct vici_node **reply, char **err)
{
	*reply = NULL;
	return do_request(c, cmd, msg, NULL, NULL, NULL, deadline_of(timeout_ms), reply, err);
}

static int registration(struct vici_client *c, enum vici_packet_type type, const char *event,
			int64_t deadline, char **err)
{
	struct vici_packet pkt = { 0 };
	int rc = send_packet(c, type, event, NULL, deadline, err);

	if (rc == 0)
		rc = recv_until(c, VICI_EVENT_CONFIRM, NULL, NULL, NULL, &pkt, deadline, err);
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

int vici_client_stream(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
		       const char *event, int timeout_ms, struct vici_node ***events, size_t *n_events,
		       char **err)
{
	int64_t deadline = deadline_of(timeout_ms);
	int rc;

	*events = NULL;
	*n_events = 0;
	rc = registration(c, VICI_EVENT_REGISTER, event, deadline, err);
	if (rc != 0)
		return rc;
	rc = do_request(c, cmd, msg, event, events, n_events, deadline, NULL, err);
	if (rc == 0)
		rc = registration(c, VICI_EVENT_UNREGISTER, event, deadline, err);
	if (rc != 0) {
		for (size_t i = 0; i < *n_events; i++)
			vici_node_free((*events)[i]);
		free(*events);
		*events = NULL;
		*n_events = 0;
	}
	return rc;
}

int vici_client_wait_event(struct vici_client *c, int timeout_ms, char **name, struct vici_node **msg,
			   char **err)
{
	int64_t deadline = deadline_of(timeout_ms);

	*name = NULL;
	*msg = NULL;
	while (c->head == c->n) {
		struct vici_packet pkt = { 0 };
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&p, 1, remaining(deadline));
		if (pr < 0 && errno == EINTR)
			return -EINTR;
		if (pr == 0)
			return -ETIMEDOUT;
		int rc = recv_packet(c, &pkt, deadline, err);
		if (rc != 0)
			return rc;
		if (pkt.type != VICI_EVENT) {
			set_err(err, "unexpected VICI %s packet from charon", vici_packet_type_names[pkt.type]);
			vici_packet_clear(&pkt);
			return -EPROTO;
		}
		rc = queue_event(c, &pkt, err);
		vici_packet_clear(&pkt);
		if (rc != 0)
			return rc;
	}
	*name = c->queue[c->head].name;
	*msg = c->queue[c->head].msg;
	c->head++;
	return 0;
}
