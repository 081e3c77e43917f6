/* fakevici.c - a misbehaving charon for the fault harness: a VICI server on a unix socket that
 * speaks the real wire format (src/vici.c builds and decodes every packet) and misbehaves as
 * told. Not a product command; built as build/fakevici.
 *
 * usage: fakevici SOCKET MODEFILE
 * MODEFILE's first word is read again for every packet received, so a test switches modes
 * while clients stay connected:
 *   ok        answer like a charon with one tunnel: registrations confirmed; list-sas streams
 *             one established IKE SA con1 (to registered clients); get-conns lists con1;
 *             get-shared lists ike-1; version answers; any other command succeeds
 *   hang      read everything, answer nothing
 *   close     close the connection on the next packet
 *   truncate  answer with half a packet, then close
 *   flood     confirm registrations; answer a command with events (list-sa and ike-updown,
 *             60 KB each) as fast as the client reads, never the response
 *   drip      answer a command with small events one byte every 5 ms, never the response
 *   nest      answer a command with a message that closes a section it never opened
 * One process per connection (forked; it dies with the server), so a flood never stalls the
 * others. Runs until killed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vici.h"

#define FAKE_MAX_REGISTERED 16		/* event names one client registers at most */
#define FAKE_FLOOD_VALUE 60000		/* bytes of junk per flood event */
#define FAKE_DRIP_MS 5			/* pause between dripped bytes */
#define FAKE_MODE_MAX 32

struct client {
	int fd;
	const char *modefile;
	char registered[FAKE_MAX_REGISTERED][VICI_MAX_NAME + 1];
	size_t n_registered;
};

static void mode_read(const char *path, char mode[FAKE_MODE_MAX])
{
	FILE *f = fopen(path, "r");

	snprintf(mode, FAKE_MODE_MAX, "ok");
	if (!f)
		return;
	if (fscanf(f, "%31s", mode) != 1)
		snprintf(mode, FAKE_MODE_MAX, "ok");
	fclose(f);
}

static int read_full(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* Send one packet (msg NULL: empty message). 0 or -1 (the client went away). */
static int send_pkt(struct client *c, enum vici_packet_type type, const char *name, const struct vici_msg *msg)
{
	struct buf b;
	int rc;

	buf_init(&b);
	rc = vici_packet_build(type, name, msg, &b) == 0 ? write_full(c->fd, b.data, b.len) : -1;
	buf_free(&b);
	return rc;
}

static int send_kv_response(struct client *c, const char *key, const char *value)
{
	struct vici_msg m;
	int rc;

	vici_msg_init(&m);
	vici_msg_add_str(&m, key, value);
	rc = send_pkt(c, VICI_CMD_RESPONSE, NULL, &m);
	vici_msg_free(&m);
	return rc;
}

static bool is_registered(const struct client *c, const char *event)
{
	for (size_t i = 0; i < c->n_registered; i++)
		if (strcmp(c->registered[i], event) == 0)
			return true;
	return false;
}

/* ---- ok: a charon with one tunnel ---- */

static int send_list_sa(struct client *c)
{
	struct vici_msg m;
	int rc;

	vici_msg_init(&m);
	vici_msg_section_start(&m, "con1");
	vici_msg_add_str(&m, "uniqueid", "1");
	vici_msg_add_str(&m, "version", "2");
	vici_msg_add_str(&m, "state", "ESTABLISHED");
	vici_msg_add_str(&m, "local-host", "192.0.2.1");
	vici_msg_add_str(&m, "remote-host", "192.0.2.2");
	vici_msg_section_start(&m, "child-sas");
	vici_msg_section_start(&m, "con1_1-1");
	vici_msg_add_str(&m, "name", "con1_1");
	vici_msg_add_str(&m, "state", "INSTALLED");
	vici_msg_section_end(&m);
	vici_msg_section_end(&m);
	vici_msg_section_end(&m);
	rc = send_pkt(c, VICI_EVENT, "list-sa", &m);
	vici_msg_free(&m);
	return rc;
}

static int send_list(struct client *c, const char *key, const char *item)
{
	struct vici_msg m;
	int rc;

	vici_msg_init(&m);
	vici_msg_list_start(&m, key);
	vici_msg_list_item_str(&m, item);
	vici_msg_list_end(&m);
	rc = send_pkt(c, VICI_CMD_RESPONSE, NULL, &m);
	vici_msg_free(&m);
	return rc;
}

static int answer_ok(struct client *c, const char *cmd)
{
	if (strcmp(cmd, "list-sas") == 0) {
		if (is_registered(c, "list-sa") && send_list_sa(c) != 0)
			return -1;
		return send_pkt(c, VICI_CMD_RESPONSE, NULL, NULL);
	}
	if (strcmp(cmd, "list-conns") == 0 || strcmp(cmd, "list-certs") == 0)
		return send_pkt(c, VICI_CMD_RESPONSE, NULL, NULL);
	if (strcmp(cmd, "get-conns") == 0)
		return send_list(c, "conns", "con1");
	if (strcmp(cmd, "get-shared") == 0)
		return send_list(c, "keys", "ike-1");
	if (strcmp(cmd, "version") == 0)
		return send_kv_response(c, "daemon", "charon");
	return send_kv_response(c, "success", "yes");
}

/* ---- misbehaviour ---- */

/* Events, alternating list-sa and ike-updown, until the client goes away. */
static void flood(struct client *c)
{
	static const char *const names[] = { "list-sa", "ike-updown" };
	char *junk = calloc(1, FAKE_FLOOD_VALUE);
	struct buf pkt[2];

	for (int i = 0; i < 2; i++) {
		struct vici_msg m;
		vici_msg_init(&m);
		vici_msg_section_start(&m, "con1");
		vici_msg_add_kv(&m, "junk", junk, FAKE_FLOOD_VALUE);
		vici_msg_section_end(&m);
		buf_init(&pkt[i]);
		vici_packet_build(VICI_EVENT, names[i], &m, &pkt[i]);
		vici_msg_free(&m);
	}
	for (unsigned long i = 0; write_full(c->fd, pkt[i % 2].data, pkt[i % 2].len) == 0; i++)
		;
	buf_free(&pkt[0]);
	buf_free(&pkt[1]);
	free(junk);
}

/* Small log events a byte at a time; a packet's last byte goes out with the next one's first,
 * so the socket is never idle at a packet boundary. Until the client goes away. */
static void drip(struct client *c)
{
	struct vici_msg m;
	struct buf pkt;

	vici_msg_init(&m);
	vici_msg_add_str(&m, "msg", "still here");
	buf_init(&pkt);
	vici_packet_build(VICI_EVENT, "log", &m, &pkt);
	vici_msg_free(&m);
	for (size_t i = 0;; i++) {
		struct timespec ts = { 0, FAKE_DRIP_MS * 1000000L };
		char two[2] = { pkt.data[i % pkt.len], pkt.data[(i + 1) % pkt.len] };
		size_t n = i % pkt.len == pkt.len - 1 ? 2 : 1;
		if (write_full(c->fd, two, n) != 0)
			break;
		i += n - 1;
		nanosleep(&ts, NULL);
	}
	buf_free(&pkt);
}

/* A response whose message ends a section it never started. */
static int bad_nesting(struct client *c)
{
	static const unsigned char seg[] = { 0x00, 0x00, 0x00, 0x02, VICI_CMD_RESPONSE, VICI_SECTION_END };

	return write_full(c->fd, seg, sizeof(seg));
}

/* Half of a response, then the connection closes. */
static void truncated(struct client *c)
{
	static const unsigned char half[] = { 0x00, 0x00, 0x00, 0x40, VICI_CMD_RESPONSE, VICI_KEY_VALUE, 7, 's' };

	write_full(c->fd, half, sizeof(half));
}

/* ---- one connection ---- */

static void serve(struct client *c)
{
	for (;;) {
		unsigned char hdr[VICI_HEADER_LEN];
		struct vici_packet pkt = { 0 };
		struct vici_err verr;
		char mode[FAKE_MODE_MAX];
		struct buf b;
		size_t len, used;
		int rc;

		if (read_full(c->fd, hdr, sizeof(hdr)) != 0)
			return;
		len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
		if (len > VICI_MAX_MESSAGE)
			return;
		buf_init(&b);
		buf_add(&b, hdr, sizeof(hdr));
		buf_reserve(&b, len);
		if (read_full(c->fd, b.data + b.len, len) != 0) {
			buf_free(&b);
			return;
		}
		b.len += len;
		rc = vici_packet_decode(b.data, b.len, &used, &pkt, &verr);
		buf_free(&b);
		if (rc != 0)
			return;
		mode_read(c->modefile, mode);
		rc = 0;
		if (strcmp(mode, "hang") == 0) {
			/* read on, answer nothing */
		} else if (strcmp(mode, "close") == 0) {
			rc = -1;
		} else if (strcmp(mode, "truncate") == 0) {
			truncated(c);
			rc = -1;
		} else if (pkt.type == VICI_EVENT_REGISTER || pkt.type == VICI_EVENT_UNREGISTER) {
			if (pkt.type == VICI_EVENT_REGISTER && c->n_registered < FAKE_MAX_REGISTERED)
				snprintf(c->registered[c->n_registered++], sizeof(c->registered[0]), "%s", pkt.name);
			rc = send_pkt(c, VICI_EVENT_CONFIRM, NULL, NULL);
		} else if (pkt.type != VICI_CMD_REQUEST) {
			rc = -1;
		} else if (strcmp(mode, "flood") == 0) {
			flood(c);
			rc = -1;
		} else if (strcmp(mode, "drip") == 0) {
			drip(c);
			rc = -1;
		} else if (strcmp(mode, "nest") == 0) {
			rc = bad_nesting(c);
		} else {
			rc = answer_ok(c, pkt.name);
		}
		vici_packet_clear(&pkt);
		if (rc != 0)
			return;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: fakevici SOCKET MODEFILE\n");
		return 2;
	}
	signal(SIGCHLD, SIG_IGN);	/* connection processes are reaped by the kernel */
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 64) != 0) {
		perror("fakevici");
		return 1;
	}
	for (;;) {
		struct client c = { .modefile = argv[2] };
		pid_t pid;

		c.fd = accept(lfd, NULL, NULL);
		if (c.fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("fakevici: accept");
			return 1;
		}
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(lfd);
			serve(&c);
			_exit(0);
		}
		close(c.fd);
	}
}
