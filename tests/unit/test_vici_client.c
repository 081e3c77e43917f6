/* test_vici_client.c - the VICI client against a replay server that answers with bytes
 * recorded from a real charon (the .bin files in tests/data/vici), plus every failure it must name:
 * no socket, refused, timeout, oversized message, charon closing mid-message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "status.h"
#include "vici_client.h"

#define DATA "tests/data/vici/"
#define TEST_TIMEOUT_MS 5000

enum replay_mode {
	REPLAY,		/* answer each packet with the recording up to the matching reply */
	SILENT,		/* read the request, never answer */
	OVERSIZED,	/* answer with a length header over the limit */
	HANGUP,		/* answer with half a segment, then close */
	FLOOD,		/* confirm registrations; answer a command with events, forever */
	DRIP,		/* answer a command with events sent a byte at a time, forever */
};

struct server {
	char dir[32], path[64];
	int lfd;
	enum replay_mode mode;
	struct buf rec;		/* the recording: whole segments */
	pthread_t thread;
};

static bool read_full(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return false;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return true;
}

static void write_full(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

static size_t seg_len(const unsigned char *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

/* The replies that end the answer to a packet of type t. */
static bool ends_answer(unsigned char t, unsigned char reply)
{
	if (t == VICI_CMD_REQUEST)
		return reply == VICI_CMD_RESPONSE || reply == VICI_CMD_UNKNOWN;
	return reply == VICI_EVENT_CONFIRM || reply == VICI_EVENT_UNKNOWN;
}

/* Events of FLOOD_VALUE bytes each, alternating list-sa and ike-updown, until the client
 * goes away (the write fails). */
#define FLOOD_VALUE 60000
static void flood(int fd)
{
	static const char *const names[] = { "list-sa", "ike-updown" };
	struct buf pkt[2];
	char *value = calloc(1, FLOOD_VALUE);

	for (int i = 0; i < 2; i++) {
		struct vici_msg m;
		vici_msg_init(&m);
		vici_msg_section_start(&m, "con1");
		vici_msg_add_kv(&m, "junk", value, FLOOD_VALUE);
		vici_msg_section_end(&m);
		buf_init(&pkt[i]);
		vici_packet_build(VICI_EVENT, names[i], &m, &pkt[i]);
		vici_msg_free(&m);
	}
	for (unsigned long i = 0;; i++) {
		const struct buf *b = &pkt[i % 2];
		ssize_t w = 0;
		size_t off = 0;
		while (off < b->len && (w = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL)) > 0)
			off += (size_t)w;
		if (w <= 0)
			break;
	}
	buf_free(&pkt[0]);
	buf_free(&pkt[1]);
	free(value);
}

/* Small events, one byte every DRIP_MS, until the client goes away. */
#define DRIP_MS 5
static void drip(int fd)
{
	struct buf pkt;
	struct vici_msg m;

	vici_msg_init(&m);
	vici_msg_add_str(&m, "msg", "still here");
	buf_init(&pkt);
	vici_packet_build(VICI_EVENT, "log", &m, &pkt);
	vici_msg_free(&m);
	for (size_t i = 0;; i++) {
		struct timespec ts = { 0, DRIP_MS * 1000000L };
		char two[2] = { pkt.data[i % pkt.len], pkt.data[(i + 1) % pkt.len] };
		/* a packet's last byte goes with the next one's first: never a pause between packets */
		size_t n = i % pkt.len == pkt.len - 1 ? 2 : 1;
		if (send(fd, two, n, MSG_NOSIGNAL) != (ssize_t)n)
			break;
		i += n - 1;
		nanosleep(&ts, NULL);
	}
	buf_free(&pkt);
}

static void *serve(void *arg)
{
	struct server *s = arg;
	size_t off = 0;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	for (;;) {
		unsigned char hdr[4], *pkt;
		size_t len;
		if (!read_full(fd, hdr, 4))
			break;
		len = seg_len(hdr);
		pkt = malloc(len ? len : 1);
		if (!read_full(fd, pkt, len)) {
			free(pkt);
			break;
		}
		unsigned char type = pkt[0];
		free(pkt);
		if (s->mode == SILENT)
			continue;
		if (s->mode == OVERSIZED) {
			static const unsigned char big[] = { 0x00, 0x10, 0x00, 0x00, VICI_CMD_RESPONSE };
			write_full(fd, big, sizeof(big));
			continue;
		}
		if (s->mode == FLOOD && type != VICI_CMD_REQUEST) {
			static const unsigned char confirm[] = { 0x00, 0x00, 0x00, 0x01, VICI_EVENT_CONFIRM };
			write_full(fd, confirm, sizeof(confirm));
			continue;
		}
		if (s->mode == FLOOD) {
			flood(fd);
			break;
		}
		if (s->mode == DRIP) {
			drip(fd);
			break;
		}
		if (s->mode == HANGUP) {
			static const unsigned char half[] = { 0x00, 0x00, 0x00, 0x20, VICI_CMD_RESPONSE, 3 };
			write_full(fd, half, sizeof(half));
			break;
		}
		/* send recorded segments up to and including the reply to this packet; swanctl
		 * closes without unregistering, so recordings lack that confirm: charon sends it */
		if (off + 4 > s->rec.len && type == VICI_EVENT_UNREGISTER) {
			static const unsigned char confirm[] = { 0x00, 0x00, 0x00, 0x01, VICI_EVENT_CONFIRM };
			write_full(fd, confirm, sizeof(confirm));
		}
		while (off + 4 <= s->rec.len) {
			size_t l = seg_len((unsigned char *)s->rec.data + off);
			unsigned char reply = (unsigned char)s->rec.data[off + 4];
			write_full(fd, s->rec.data + off, 4 + l);
			off += 4 + l;
			if (ends_answer(type, reply))
				break;
		}
	}
	close(fd);
	return NULL;
}

static void server_start(struct server *s, const char *recording, enum replay_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	buf_init(&s->rec);
	if (recording)
		assert_int_equal(file_read_all(recording, 1u << 22, &s->rec), 0);
	strcpy(s->dir, "/tmp/tc-vici-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/charon.vici", s->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 1), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s, struct vici_client *c)
{
	vici_client_close(c);	/* the server sees EOF and ends */
	pthread_join(s->thread, NULL);
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
	buf_free(&s->rec);
}

static struct vici_client *connect_to(struct server *s)
{
	struct vici_client *c = NULL;
	char *uri = xasprintf("unix://%s", s->path), *err = NULL;

	assert_int_equal(vici_client_connect(uri, TEST_TIMEOUT_MS, &c, &err), 0);
	free(uri);
	assert_null(err);
	return c;
}

static void test_request(void **state)
{
	struct server s;
	struct vici_node *reply = NULL;
	char *err = NULL;

	(void)state;
	server_start(&s, DATA "version.bin", REPLAY);
	struct vici_client *c = connect_to(&s);
	assert_int_equal(vici_client_request(c, "version", NULL, TEST_TIMEOUT_MS, &reply, &err), 0);
	assert_string_equal(vici_find_str(reply, "daemon", ""), "charon");
	assert_true(str_startswith(vici_find_str(reply, "version", ""), "5."));
	vici_node_free(reply);
	server_stop(&s, c);
}

static void test_stream(void **state)
{
	struct server s;
	struct vici_node **ev = NULL;
	size_t n = 0;
	char *err = NULL;

	(void)state;
	server_start(&s, DATA "list-conns.bin", REPLAY);
	struct vici_client *c = connect_to(&s);
	assert_int_equal(vici_client_stream(c, "list-conns", NULL, "list-conn", TEST_TIMEOUT_MS, &ev, &n, &err), 0);
	assert_int_equal(n, 2);
	/* each list-conn event is a section named after the connection */
	assert_non_null(vici_child(ev[0], "con1"));
	assert_non_null(vici_child(ev[1], "con2"));
	for (size_t i = 0; i < n; i++)
		vici_node_free(ev[i]);
	free(ev);
	server_stop(&s, c);
}

/* stream_each hands each event over as it arrives: status built event by event (the path of
 * `status --json`) equals status built from the collected array (the daemon's path). */
static void test_stream_each(void **state)
{
	struct server s;
	struct vici_node **ev = NULL;
	struct status_sas got = { 0 };
	size_t n = 0;
	char *err = NULL;
	json_t *each, *collected;

	(void)state;
	server_start(&s, DATA "list-sas.bin", REPLAY);
	struct vici_client *c = connect_to(&s);
	assert_int_equal(vici_client_stream_begin(c, "list-sas", NULL, "list-sa", TEST_TIMEOUT_MS, &err), 0);
	assert_int_equal(vici_client_stream_each(c, "list-sas", "list-sa", TEST_TIMEOUT_MS, status_sas_take, &got,
						 &err), 0);
	server_stop(&s, c);
	assert_int_equal(got.n, 2);
	/* in wire order (charon lists con2 first in this recording) */
	assert_string_equal(got.v[0].name, "con2");
	assert_string_equal(got.v[1].name, "con1");
	each = status_sas_join(&got, NULL);
	status_sas_free(&got);

	server_start(&s, DATA "list-sas.bin", REPLAY);
	c = connect_to(&s);
	assert_int_equal(vici_client_stream(c, "list-sas", NULL, "list-sa", TEST_TIMEOUT_MS, &ev, &n, &err), 0);
	server_stop(&s, c);
	collected = status_build_sas(NULL, ev, n);
	vici_nodes_free(ev, n);
	assert_int_equal(json_array_size(each), 2);
	assert_true(json_equal(each, collected));
	json_decref(each);
	json_decref(collected);
}

/* Events that arrive while a command runs are kept, in order, for wait_event. */
static void test_events_queued_during_command(void **state)
{
	struct server s;
	struct vici_node *reply = NULL, *msg = NULL;
	char *err = NULL, *name = NULL;
	size_t seen = 0;

	(void)state;
	server_start(&s, DATA "initiate.bin", REPLAY);
	struct vici_client *c = connect_to(&s);
	assert_int_equal(vici_client_register(c, "control-log", TEST_TIMEOUT_MS, &err), 0);
	assert_int_equal(vici_client_request(c, "initiate", NULL, TEST_TIMEOUT_MS, &reply, &err), 0);
	assert_string_equal(vici_find_str(reply, "success", ""), "yes");
	vici_node_free(reply);
	assert_true(vici_client_pending(c));
	while (vici_client_pending(c)) {
		assert_int_equal(vici_client_wait_event(c, 0, &name, &msg, &err), 0);
		assert_string_equal(name, "control-log");
		if (seen++ == 0)
			assert_true(str_startswith(vici_find_str(msg, "msg", ""), "initiating IKE_SA con1"));
		free(name);
		vici_node_free(msg);
	}
	assert_true(seen > 3);
	/* nothing more: a short wait times out */
	assert_int_equal(vici_client_wait_event(c, 50, &name, &msg, &err), -ETIMEDOUT);
	server_stop(&s, c);
}

static void test_unknown_command(void **state)
{
	struct server s;
	struct vici_node *reply = NULL;
	char *err = NULL;

	(void)state;
	server_start(&s, DATA "unknown.bin", REPLAY);
	struct vici_client *c = connect_to(&s);
	/* the recording starts with charon's EVENT_UNKNOWN for an unknown event */
	assert_int_equal(vici_client_register(c, "no-such-event", TEST_TIMEOUT_MS, &err), -ENOENT);
	assert_non_null(strstr(err, "does not know the VICI event"));
	free(err);
	err = NULL;
	assert_int_equal(vici_client_request(c, "no-such-command", NULL, TEST_TIMEOUT_MS, &reply, &err), -ENOTSUP);
	assert_non_null(strstr(err, "does not know the VICI command 'no-such-command'"));
	assert_null(reply);
	free(err);
	server_stop(&s, c);
}

static void test_timeout(void **state)
{
	struct server s;
	struct vici_node *reply = NULL;
	char *err = NULL;

	(void)state;
	server_start(&s, NULL, SILENT);
	struct vici_client *c = connect_to(&s);
	assert_int_equal(vici_client_request(c, "version", NULL, 100, &reply, &err), -ETIMEDOUT);
	assert_non_null(strstr(err, "timed out"));
	free(err);
	server_stop(&s, c);
}

/* A length header over VICI_MAX_MESSAGE is refused before anything is allocated for it. */
static void test_oversized(void **state)
{
	struct server s;
	struct vici_node *reply = NULL;
	char *err = NULL;

	(void)state;
	server_start(&s, NULL, OVERSIZED);
	struct vici_client *c = connect_to(&s);
	assert_int_equal(vici_client_request(c, "version", NULL, TEST_TIMEOUT_MS, &reply, &err), -E2BIG);
	assert_non_null(strstr(err, "over the"));
	free(err);
	server_stop(&s, c);
}

static void test_hangup(void **state)
{
	struct server s;
	struct vici_node *reply = NULL;
	char *err = NULL;

	(void)state;
	server_start(&s, NULL, HANGUP);
	struct vici_client *c = connect_to(&s);
	assert_int_equal(vici_client_request(c, "version", NULL, TEST_TIMEOUT_MS, &reply, &err), -EPIPE);
	assert_non_null(strstr(err, "closed the VICI connection"));
	free(err);
	server_stop(&s, c);
}

/* A charon that floods events and never answers: the command still ends at its deadline, the
 * queue stays within its bounds (the rest is dropped and counted), and a stream is cut off at
 * VICI_CLIENT_MAX_STREAM_BYTES. */
static void test_flood(void **state)
{
	struct server s;
	struct vici_node *reply = NULL, **ev = NULL, *msg = NULL;
	char *err = NULL, *name = NULL;
	size_t n = 0, queued = 0;
	int64_t t0;

	(void)state;
	server_start(&s, NULL, FLOOD);
	struct vici_client *c = connect_to(&s);
	t0 = now_ms();
	assert_int_equal(vici_client_request(c, "version", NULL, 300, &reply, &err), -ETIMEDOUT);
	assert_true(now_ms() - t0 < 300 + TEST_TIMEOUT_MS / 5);
	assert_non_null(strstr(err, "timed out"));
	free(err);
	err = NULL;
	assert_true(vici_client_dropped(c) > 0);
	assert_int_equal(vici_client_dropped(c), 0);	/* the count was reset */
	while (vici_client_pending(c) && vici_client_wait_event(c, 0, &name, &msg, &err) == 0) {
		queued++;
		free(name);
		vici_node_free(msg);
	}
	free(err);
	err = NULL;
	/* the bytes bound: 60 KB events, at most 1 MiB of them, plus what was read along */
	assert_true(queued >= 1);
	assert_true(queued <= VICI_CLIENT_MAX_QUEUE_BYTES / FLOOD_VALUE + VICI_CLIENT_READ_CHUNK / FLOOD_VALUE + 2);
	server_stop(&s, c);

	server_start(&s, NULL, FLOOD);
	c = connect_to(&s);
	assert_int_equal(vici_client_stream(c, "list-sas", NULL, "list-sa", 30000, &ev, &n, &err), -E2BIG);
	assert_non_null(strstr(err, "bytes of list-sa events"));
	assert_null(ev);
	assert_int_equal(n, 0);
	free(err);
	server_stop(&s, c);
}

/* Events trickling in a byte at a time never end a command's wait: its deadline holds. */
static void test_drip(void **state)
{
	struct server s;
	struct vici_node *reply = NULL;
	char *err = NULL;
	int64_t t0;

	(void)state;
	server_start(&s, NULL, DRIP);
	struct vici_client *c = connect_to(&s);
	t0 = now_ms();
	assert_int_equal(vici_client_request(c, "version", NULL, 300, &reply, &err), -ETIMEDOUT);
	assert_true(now_ms() - t0 < 300 + TEST_TIMEOUT_MS / 5);
	free(err);
	server_stop(&s, c);
}

static void test_connect_errors(void **state)
{
	struct vici_client *c = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/tc-vici-XXXXXX", path[64], *err = NULL;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/charon.vici", dir);
	/* no socket at all */
	assert_int_equal(vici_client_connect(path, TEST_TIMEOUT_MS, &c, &err), -ENOENT);
	assert_non_null(strstr(err, "charon is not running (no VICI socket at"));
	free(err);
	err = NULL;
	/* a socket file nobody listens on: what a crashed charon leaves behind */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(vici_client_connect(path, TEST_TIMEOUT_MS, &c, &err), -ECONNREFUSED);
	assert_non_null(strstr(err, "connection refused"));
	free(err);
	err = NULL;
	/* not a unix URI */
	assert_int_equal(vici_client_connect("tcp://127.0.0.1:4502", TEST_TIMEOUT_MS, &c, &err), -EINVAL);
	assert_non_null(strstr(err, "bad VICI URI"));
	free(err);
	assert_null(c);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_stream_each),
		cmocka_unit_test(test_events_queued_during_command),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_hangup),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_drip),
		cmocka_unit_test(test_connect_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
