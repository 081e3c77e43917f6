/* test_keepalive.c - the keep-alive engine against a scripted fake charon (a child process
 * speaking VICI on a unix socket), and the keep-alive state records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "keepalive.h"
#include "conf.h"
#include "state.h"
#include "tunnel.h"
#include "vici.h"

#define FAKE_MAX_CLIENTS 8
#define PASS_DEADLINE_MS 5000

/* What the fake charon reports and answers. */
struct fake {
	const char *ike_state;		/* NULL: no IKE SA at all */
	const char *child_state;	/* NULL: the IKE SA has no child */
	bool initiate_ok;
	int hold_ms;			/* answer initiations this late (0: at once) */
};

struct env {
	char dir[64];
	char conf[128], vici[160], sock[128], state[128], record[128];
	struct tc_ctx ctx;
	pid_t pid;
	struct buf decisions;		/* "tunnel action|" for each decision */
};

static const char tunnel_merged[] =
	"global {\n keepalive {\n  interval = 30s\n }\n}\n"
	"tunnels {\n 1 {\n  local_address = 192.0.2.1\n  remote_gateway = 192.0.2.2\n"
	"  psk = \"unit-test-secret-0123456789\"\n  start_action = none\n"
	"  phase2 {\n   1 {\n    local = 10.1.0.0/24\n    remote = 10.2.0.0/24\n    keepalive = yes\n   }\n"
	"   2 {\n    local = 10.1.1.0/24\n    remote = 10.2.1.0/24\n   }\n  }\n }\n}\n";

static const char tunnel_split[] =
	"tunnels {\n 3 {\n  version = ikev1\n  local_address = 192.0.2.1\n  remote_gateway = 192.0.2.2\n"
	"  psk = \"unit-test-secret-0123456789\"\n  start_action = none\n"
	"  phase2 {\n   7 {\n    local = 10.1.0.0/24\n    remote = 10.2.0.0/24\n    keepalive = yes\n   }\n"
	"   8 {\n    local = 10.1.1.0/24\n    remote = 10.2.1.0/24\n   }\n  }\n }\n}\n";

/* ---- the fake charon (runs in a child process) ---- */

static void send_pkt(int fd, enum vici_packet_type type, const char *name, const struct vici_msg *m)
{
	struct buf b;

	buf_init(&b);
	if (vici_packet_build(type, name, m, &b) == 0 && write(fd, b.data, b.len) != (ssize_t)b.len)
		_exit(3);
	buf_free(&b);
}

static bool read_full(int fd, unsigned char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static void record(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		_exit(4);
	close(fd);
}

/* Initiations the fake holds before answering (hold_ms). */
struct held {
	int fd[FAKE_MAX_CLIENTS * 8];
	int64_t due[FAKE_MAX_CLIENTS * 8];
	size_t n;
};

static void answer_initiate(int fd, bool ok)
{
	struct vici_msg m;

	vici_msg_init(&m);
	vici_msg_add_str(&m, "success", ok ? "yes" : "no");
	if (!ok)
		vici_msg_add_str(&m, "errmsg", "peer not responding");
	send_pkt(fd, VICI_CMD_RESPONSE, NULL, &m);
	vici_msg_free(&m);
}

/* Answer one request on fd; false when the client went away. */
static bool fake_serve(int fd, const struct fake *f, const char *rec, const char *conn, const char *child,
		       struct held *h)
{
	unsigned char hdr[4], *data;
	struct vici_packet pkt = { 0 };
	struct vici_err verr;
	struct vici_msg m;
	size_t len, used;

	if (!read_full(fd, hdr, 4))
		return false;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	data = malloc(len + 4);
	memcpy(data, hdr, 4);
	if (!read_full(fd, data + 4, len) || vici_packet_decode(data, len + 4, &used, &pkt, &verr) != 0)
		_exit(5);
	free(data);
	vici_msg_init(&m);
	if (pkt.type == VICI_EVENT_REGISTER || pkt.type == VICI_EVENT_UNREGISTER) {
		send_pkt(fd, VICI_EVENT_CONFIRM, NULL, NULL);
	} else if (strcmp(pkt.name, "get-conns") == 0) {
		vici_msg_list_start(&m, "conns");
		vici_msg_list_item_str(&m, conn);
		vici_msg_list_end(&m);
		send_pkt(fd, VICI_CMD_RESPONSE, NULL, &m);
	} else if (strcmp(pkt.name, "list-sas") == 0) {
		if (f->ike_state) {
			struct vici_msg e;
			vici_msg_init(&e);
			vici_msg_section_start(&e, conn);
			vici_msg_add_str(&e, "state", f->ike_state);
			vici_msg_section_start(&e, "child-sas");
			if (f->child_state) {
				vici_msg_section_start(&e, "x-1");
				vici_msg_add_str(&e, "name", child);
				vici_msg_add_str(&e, "state", f->child_state);
				vici_msg_section_end(&e);
			}
			vici_msg_section_end(&e);
			vici_msg_section_end(&e);
			send_pkt(fd, VICI_EVENT, "list-sa", &e);
			vici_msg_free(&e);
		}
		send_pkt(fd, VICI_CMD_RESPONSE, NULL, NULL);
	} else if (strcmp(pkt.name, "initiate") == 0) {
		char line[160];
		snprintf(line, sizeof(line), "initiate ike=%s child=%s timeout=%s|",
			 vici_find_str(pkt.msg, "ike", "?"), vici_find_str(pkt.msg, "child", "?"),
			 vici_find_str(pkt.msg, "timeout", "?"));
		record(rec, line);
		if (f->hold_ms && h->n < sizeof(h->fd) / sizeof(h->fd[0])) {
			h->fd[h->n] = fd;
			h->due[h->n++] = now_ms() + f->hold_ms;
			snprintf(line, sizeof(line), "inflight=%zu|", h->n);
			record(rec, line);
		} else {
			answer_initiate(fd, f->initiate_ok);
		}
	} else {
		vici_msg_add_str(&m, "success", "yes");
		send_pkt(fd, VICI_CMD_RESPONSE, NULL, &m);
	}
	vici_msg_free(&m);
	vici_packet_clear(&pkt);
	return true;
}

static void fake_run(int lfd, const struct fake *f, const char *rec, const char *conn, const char *child)
{
	struct pollfd p[FAKE_MAX_CLIENTS * 8 + 1];
	struct held h = { .n = 0 };
	size_t n = 1;

	p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	for (;;) {
		int timeout = h.n ? (int)(h.due[0] - now_ms()) : -1;
		if (poll(p, n, h.n && timeout < 0 ? 0 : timeout) < 0)
			_exit(6);
		/* answer held initiations that are due (oldest first) */
		while (h.n && now_ms() >= h.due[0]) {
			answer_initiate(h.fd[0], f->initiate_ok);
			memmove(h.fd, h.fd + 1, (h.n - 1) * sizeof(h.fd[0]));
			memmove(h.due, h.due + 1, (h.n - 1) * sizeof(h.due[0]));
			h.n--;
		}
		if (p[0].revents && n < sizeof(p) / sizeof(p[0]))
			p[n++] = (struct pollfd){ .fd = accept(lfd, NULL, NULL), .events = POLLIN };
		for (size_t i = 1; i < n; i++) {
			if (!p[i].revents)
				continue;
			if (!fake_serve(p[i].fd, f, rec, conn, child, &h)) {
				close(p[i].fd);
				p[i--] = p[--n];
			}
		}
	}
}

/* ---- the test side ---- */

static void on_decision(void *arg, const struct keepalive_decision *d)
{
	struct env *e = arg;

	buf_printf(&e->decisions, "%s %s|", d->tunnel, d->action);
}

static struct env *env_start(const char *tunnels, const struct fake *f, const char *conn, const char *child)
{
	struct env *e = calloc(1, sizeof(*e));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, fd;

	snprintf(e->dir, sizeof(e->dir), "/tmp/tc-test-ka.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->conf, sizeof(e->conf), "%s/tunnels.conf", e->dir);
	snprintf(e->sock, sizeof(e->sock), "%s/charon.vici", e->dir);
	snprintf(e->vici, sizeof(e->vici), "unix://%s", e->sock);
	snprintf(e->state, sizeof(e->state), "%s/state", e->dir);
	snprintf(e->record, sizeof(e->record), "%s/record", e->dir);
	fd = open(e->conf, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, tunnels, strlen(tunnels)), (ssize_t)strlen(tunnels));
	close(fd);
	e->ctx = (struct tc_ctx){ .conf = e->conf, .vici = e->vici, .out_dir = e->dir, .state_dir = e->state };
	buf_init(&e->decisions);

	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sa.sun_path, e->sock, strlen(e->sock) + 1);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	e->pid = fork();
	assert_true(e->pid >= 0);
	if (e->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* a failed assertion must not leave it behind */
		fake_run(lfd, f, e->record, conn, child);
	}
	close(lfd);
	return e;
}

static void env_stop(struct env *e)
{
	char cmd[128];

	kill(e->pid, SIGKILL);
	waitpid(e->pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	buf_free(&e->decisions);
	free(e);
}

/* One pass of the engine (as `keepalive --once` runs it); returns the stats. */
static struct keepalive_stats pass(struct env *e)
{
	struct keepalive_config cfg = { .ctx = &e->ctx, .log = on_decision, .log_arg = e, .once = true };
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_load(e->conf, &errs);
	struct pollfd fds[KEEPALIVE_MAX_FDS];
	struct keepalive_stats st;
	struct keepalive *ka;
	int64_t deadline = now_ms() + PASS_DEADLINE_MS;

	assert_non_null(tf);
	tc_errors_free(&errs);
	ka = keepalive_new(&cfg, tf);
	keepalive_dispatch(ka, NULL, 0);
	while (!keepalive_done(ka)) {
		int timeout;
		size_t n = keepalive_poll_fds(ka, fds, KEEPALIVE_MAX_FDS, &timeout);
		assert_true(now_ms() < deadline);
		poll(fds, n, timeout < 0 || timeout > 100 ? 100 : timeout);
		keepalive_dispatch(ka, fds, n);
	}
	keepalive_get_stats(ka, &st);
	keepalive_free(ka);
	if (!e->decisions.data)
		buf_adds(&e->decisions, "");
	return st;
}

static char *recorded(const struct env *e)
{
	struct buf b;

	buf_init(&b);
	if (file_read_all(e->record, 65536, &b) != 0)
		buf_adds(&b, "");
	return buf_steal(&b);
}

/* An IKE SA without its child: the merged child conN is initiated, by its naming.c name,
 * waiting for charon's answer (timeout 0), and the success is logged. */
static void test_initiates_missing_child(void **st)
{
	static const struct fake f = { .ike_state = "ESTABLISHED", .initiate_ok = true };
	struct env *e = env_start(tunnel_merged, &f, "con1", "con1");
	struct keepalive_stats s = pass(e);
	char *rec = recorded(e);
	struct state_keepalive k;

	(void)st;
	assert_string_equal(rec, "initiate ike=con1 child=con1 timeout=0|");
	assert_int_equal(s.watched, 1);
	assert_int_equal(s.initiated, 1);
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.up, 1);
	assert_string_equal(e->decisions.data, "con1 initiate|con1 up|");
	assert_int_equal(state_keepalive_load(e->state, "con1", &k), 0);
	assert_string_equal(k.action, "up");
	assert_int_equal(k.reinitiations, 1);
	assert_int_equal(k.attempts, 1);
	free(rec);
	env_stop(e);
}

/* A child that is installed is left alone. */
static void test_leaves_installed_child(void **st)
{
	static const struct fake f = { .ike_state = "ESTABLISHED", .child_state = "INSTALLED", .initiate_ok = true };
	struct env *e = env_start(tunnel_merged, &f, "con1", "con1");
	struct keepalive_stats s = pass(e);
	char *rec = recorded(e);

	(void)st;
	assert_string_equal(rec, "");
	assert_int_equal(s.initiated, 0);
	assert_int_equal(s.up, 1);
	free(rec);
	env_stop(e);
}

/* An IKE SA still CONNECTING (the peer's or ours): wait, never a second initiation. */
static void test_waits_for_connecting(void **st)
{
	static const struct fake f = { .ike_state = "CONNECTING", .initiate_ok = true };
	struct env *e = env_start(tunnel_merged, &f, "con1", "con1");
	struct keepalive_stats s = pass(e);
	char *rec = recorded(e);

	(void)st;
	assert_string_equal(rec, "");
	assert_int_equal(s.initiated, 0);
	assert_string_equal(e->decisions.data, "con1 wait|");
	free(rec);
	env_stop(e);
}

/* A manual-down mark on the IKE name keeps the tunnel down. */
static void test_skips_manually_down(void **st)
{
	static const struct fake f = { .initiate_ok = true };
	struct env *e = env_start(tunnel_merged, &f, "con1", "con1");
	struct keepalive_stats s;
	char *rec;

	(void)st;
	assert_int_equal(state_set_down(e->state, "con1", true), 0);
	s = pass(e);
	rec = recorded(e);
	assert_string_equal(rec, "");
	assert_int_equal(s.skipped, 1);
	assert_string_equal(e->decisions.data, "con1 skip|");
	free(rec);
	env_stop(e);
}

/* Split (IKEv1) phase 2 entries have their own child conN_M; only the keepalive one is
 * watched; a failure is counted and logged with charon's reason. */
static void test_split_child_and_failure(void **st)
{
	static const struct fake f = { .initiate_ok = false };
	struct env *e = env_start(tunnel_split, &f, "con3", "con3_7");
	struct keepalive_stats s = pass(e);
	char *rec = recorded(e);
	struct state_keepalive k;

	(void)st;
	assert_string_equal(rec, "initiate ike=con3 child=con3_7 timeout=0|");
	assert_int_equal(s.watched, 1);
	assert_int_equal(s.failed, 1);
	assert_string_equal(e->decisions.data, "con3_7 initiate|con3_7 failed|");
	assert_int_equal(state_keepalive_load(e->state, "con3_7", &k), 0);
	assert_non_null(strstr(k.reason, "peer not responding"));
	free(rec);
	env_stop(e);
}

/* 40 tunnels down at once: never more than KEEPALIVE_MAX_INFLIGHT initiations in flight, and
 * every tunnel is still initiated once a slot frees. */
static void test_inflight_cap(void **st)
{
	static const struct fake f = { .initiate_ok = true, .hold_ms = 200 };
	struct buf t;
	struct env *e;
	struct keepalive_stats s;
	size_t max = 0, initiates = 0;
	char *rec;

	(void)st;
	buf_init(&t);
	buf_adds(&t, "tunnels {\n");
	for (int i = 1; i <= 40; i++)
		buf_printf(&t, " %d {\n  local_address = 192.0.2.1\n  remote_gateway = 198.51.100.%d\n"
			   "  psk = \"unit-test-secret-0123456789\"\n  start_action = start\n"
			   "  phase2 {\n   %d {\n    local = 10.1.%d.0/24\n    remote = 10.2.%d.0/24\n   }\n  }\n }\n",
			   i, i, i, i, i);
	buf_adds(&t, "}\n");
	e = env_start(t.data, &f, "con1", "con1");
	s = pass(e);
	rec = recorded(e);
	for (char *p = rec; (p = strstr(p, "inflight=")); p++) {
		size_t v = strtoul(p + 9, NULL, 10);
		if (v > max)
			max = v;
	}
	for (char *p = rec; (p = strstr(p, "initiate ike=")); p++)
		initiates++;
	assert_int_equal(s.watched, 40);
	assert_int_equal(s.initiated, 40);
	assert_int_equal(initiates, 40);
	assert_int_equal(max, KEEPALIVE_MAX_INFLIGHT);
	assert_int_equal(s.failed, 0);
	free(rec);
	buf_free(&t);
	env_stop(e);
}

/* No charon: one "unreachable" decision and the pass ends. */
static void test_no_charon(void **st)
{
	struct env e = { 0 };
	struct tc_errors errs = { 0 };
	struct keepalive_config cfg = { .ctx = &e.ctx, .log = on_decision, .log_arg = &e, .once = true };
	struct keepalive_stats s;
	struct keepalive *ka;
	char tmpl[] = "/tmp/tc-test-ka.XXXXXX", path[64];
	int fd;

	(void)st;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/t.conf", tmpl);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, tunnel_merged, strlen(tunnel_merged)), (ssize_t)strlen(tunnel_merged));
	close(fd);
	e.ctx = (struct tc_ctx){ .conf = path, .vici = "unix:///nonexistent/charon.vici", .out_dir = tmpl, .state_dir = tmpl };
	buf_init(&e.decisions);
	ka = keepalive_new(&cfg, tunnel_load(path, &errs));
	keepalive_dispatch(ka, NULL, 0);
	assert_true(keepalive_done(ka));
	keepalive_get_stats(ka, &s);
	assert_false(s.charon);
	assert_string_equal(e.decisions.data, "charon charon-unreachable|");
	keepalive_free(ka);
	tc_errors_free(&errs);
	buf_free(&e.decisions);
	unlink(path);
	assert_int_equal(rmdir(tmpl), 0);
}

/* State records round-trip, refuse path-like names, and report missing or broken files; the
 * applied copy keeps the applied file's path. */
static void test_state_records(void **st)
{
	char dir[] = "/tmp/tc-test-kastate.XXXXXX", path[96], cmd[96];
	struct state_keepalive k = { .time = 1700000000, .attempts = 3, .reinitiations = 42, .last_reinit = 1700000001,
				     .next_try = 1700000009 }, r;
	int fd;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(k.action, sizeof(k.action), "failed");
	snprintf(k.reason, sizeof(k.reason), "initiation failed: \"quoted\" reason");
	assert_int_equal(state_keepalive_save(dir, "con1_2", &k), 0);
	assert_int_equal(state_keepalive_load(dir, "con1_2", &r), 0);
	assert_int_equal(r.time, k.time);
	assert_string_equal(r.action, "failed");
	assert_string_equal(r.reason, k.reason);
	assert_int_equal(r.attempts, 3);
	assert_int_equal(r.reinitiations, 42);
	assert_int_equal(r.last_reinit, k.last_reinit);
	assert_int_equal(r.next_try, k.next_try);
	assert_int_equal(state_keepalive_load(dir, "con9", &r), -ENOENT);
	assert_int_equal(state_keepalive_save(dir, "../x", &k), -EINVAL);
	assert_int_equal(state_keepalive_load(dir, "..", &r), -EINVAL);
	snprintf(path, sizeof(path), "%s/keepalive/con2.json", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "{broken", 7), 7);
	close(fd);
	assert_int_equal(state_keepalive_load(dir, "con2", &r), -EINVAL);

	/* the applied copy remembers where the applied file is, for the daemon to follow */
	int64_t ns = 0;
	char *applied, *real;
	assert_null(state_applied_path(dir));
	assert_int_equal(state_applied_mtime(dir, &ns), -ENOENT);
	{
		char digest[65];

		assert_int_equal(conf_file_digest(path, digest), 0);
		assert_int_equal(state_save_applied(dir, path, digest), 0);
	}
	applied = state_applied_path(dir);
	real = realpath(path, NULL);
	assert_non_null(applied);
	assert_string_equal(applied, real);
	assert_int_equal(state_applied_mtime(dir, &ns), 0);
	assert_true(ns > 0);
	free(applied);
	free(real);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initiates_missing_child),
		cmocka_unit_test(test_leaves_installed_child),
		cmocka_unit_test(test_waits_for_connecting),
		cmocka_unit_test(test_skips_manually_down),
		cmocka_unit_test(test_split_child_and_failure),
		cmocka_unit_test(test_inflight_cap),
		cmocka_unit_test(test_no_charon),
		cmocka_unit_test(test_state_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
