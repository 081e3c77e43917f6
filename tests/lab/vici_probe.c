/* vici_probe.c - drives vici_client against a real charon for tests/lab/test_vici.sh.
 * usage: vici_probe URI IKE   (IKE: a connection name that is up on that charon)
 * Prints "ok: ..." per check (with the detail when it is an error text under test); exits 1
 * at the first failed check. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vici_client.h"

#define T_MS 5000

static void check(int cond, const char *what, const char *detail)
{
	bool show = detail && (!cond || strstr(what, "socket") || strstr(what, "URI") ||
			       strstr(what, "unknown") || strstr(what, "errmsg"));

	printf("%s: %s%s%s\n", cond ? "ok" : "FAIL", what, show ? ": " : "", show ? detail : "");
	if (!cond) {
		fflush(stdout);
		exit(1);
	}
}

static struct vici_client *connect_or_die(const char *uri)
{
	struct vici_client *c = NULL;
	char *err = NULL;
	int rc = vici_client_connect(uri, T_MS, &c, &err);

	check(rc == 0, "connect", err);
	free(err);
	return c;
}

int main(int argc, char **argv)
{
	struct vici_client *c, *ev;
	struct vici_node *reply = NULL, **events = NULL, *msg = NULL;
	struct vici_msg m;
	size_t n = 0;
	char *err = NULL, *name = NULL, dir[] = "/tmp/vici_probe.XXXXXX", path[256];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: vici_probe URI IKE\n");
		return 2;
	}
	c = connect_or_die(argv[1]);

	/* a plain command */
	rc = vici_client_request(c, "version", NULL, T_MS, &reply, &err);
	check(rc == 0 && strcmp(vici_find_str(reply, "daemon", ""), "charon") == 0, "version says charon", err);
	vici_node_free(reply);

	/* a streamed command, filtered to one IKE SA */
	vici_msg_init(&m);
	vici_msg_add_str(&m, "ike", argv[2]);
	rc = vici_client_stream(c, "list-sas", &m, "list-sa", T_MS, &events, &n, &err);
	vici_msg_free(&m);
	check(rc == 0 && n == 1 && vici_child(events[0], argv[2]), "list-sas streams exactly the one IKE SA", err);
	check(strcmp(vici_find_str(vici_child(events[0], argv[2]), "state", ""), "ESTABLISHED") == 0,
	      "it is established", NULL);
	for (size_t i = 0; i < n; i++)
		vici_node_free(events[i]);
	free(events);

	rc = vici_client_stream(c, "list-conns", NULL, "list-conn", T_MS, &events, &n, &err);
	check(rc == 0 && n >= 1, "list-conns streams the loaded connections", err);
	for (size_t i = 0; i < n; i++)
		vici_node_free(events[i]);
	free(events);

	/* a failed command returns its errmsg to the caller */
	vici_msg_init(&m);
	vici_msg_add_str(&m, "child", "no-such-child");
	vici_msg_add_str(&m, "timeout", "-1");
	rc = vici_client_request(c, "initiate", &m, T_MS, &reply, &err);
	vici_msg_free(&m);
	check(rc == 0 && strcmp(vici_find_str(reply, "success", ""), "no") == 0 &&
	      strstr(vici_find_str(reply, "errmsg", ""), "no-such-child"),
	      "failed initiate: success=no with charon's errmsg", vici_find_str(reply, "errmsg", err));
	vici_node_free(reply);

	/* unknown command and event */
	rc = vici_client_request(c, "no-such-command", NULL, T_MS, &reply, &err);
	check(rc == -ENOTSUP && err && strstr(err, "no-such-command"), "unknown command: -ENOTSUP, named", err);
	rc = vici_client_register(c, "no-such-event", T_MS, &err);
	check(rc == -ENOENT && err && strstr(err, "no-such-event"), "unknown event: -ENOENT, named", err);

	/* events: none within a short wait, then child-updown when the tunnel goes down */
	ev = connect_or_die(argv[1]);
	rc = vici_client_register(ev, "child-updown", T_MS, &err);
	check(rc == 0, "register child-updown", err);
	rc = vici_client_register(ev, "ike-updown", T_MS, &err);
	check(rc == 0, "register ike-updown", err);
	rc = vici_client_wait_event(ev, 200, &name, &msg, &err);
	check(rc == -ETIMEDOUT, "no event while nothing happens: -ETIMEDOUT after the deadline", NULL);
	vici_msg_init(&m);
	vici_msg_add_str(&m, "ike", argv[2]);
	rc = vici_client_request(c, "terminate", &m, 20000, &reply, &err);
	vici_msg_free(&m);
	check(rc == 0 && strcmp(vici_find_str(reply, "success", ""), "yes") == 0, "terminate", err);
	vici_node_free(reply);
	rc = vici_client_wait_event(ev, T_MS, &name, &msg, &err);
	check(rc == 0 && (strcmp(name, "child-updown") == 0 || strcmp(name, "ike-updown") == 0) &&
	      vici_child(msg, argv[2]) && !vici_child(msg, "up"), "down event for the terminated SA", name);
	free(name);
	vici_node_free(msg);
	rc = vici_client_unregister(ev, "child-updown", T_MS, &err);
	check(rc == 0, "unregister child-updown", err);
	vici_client_close(ev);
	vici_client_close(c);

	/* connection errors a user can act on */
	c = NULL;
	rc = vici_client_connect("unix:///nonexistent/charon.vici", T_MS, &c, &err);
	check(rc == -ENOENT && strstr(err, "charon is not running") && strstr(err, "/nonexistent/charon.vici"),
	      "missing socket", err);
	check(mkdtemp(dir) != NULL, "temp dir", NULL);
	{
		/* a socket file nobody listens on: a charon that died */
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(path, sizeof(path), "%s/dead.vici", dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		check(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind a dead socket", NULL);
		close(fd);
	}
	rc = vici_client_connect(path, T_MS, &c, &err);
	check(rc == -ECONNREFUSED && strstr(err, "connection refused") && strstr(err, path),
	      "refused socket (plain path accepted)", err);
	unlink(path);
	rmdir(dir);
	rc = vici_client_connect("tcp://127.0.0.1:4502", T_MS, &c, &err);
	check(rc == -EINVAL && strstr(err, "unix://"), "unsupported URI", err);
	free(err);
	printf("all vici client checks passed\n");
	return 0;
}
