/* cmd_service.c - `tunnelctl service start|stop|restart|status`: charon's lifecycle.
 *
 * Under systemd the unit is started and stopped through systemd's D-Bus API (libsystemd);
 * elsewhere charon is spawned directly and found again through its own pid file. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "naming.h"
#include "table.h"
#include "tunnel.h"
#include "vici_client.h"

#define SERVICE_CHARON "/usr/lib/ipsec/charon"	/* Debian's path; TUNNELCTL_CHARON overrides */
#define SERVICE_PIDFILE "/var/run/charon.pid"	/* written by charon itself; TUNNELCTL_CHARON_PIDFILE */
#define SERVICE_START_TIMEOUT_MS 15000	/* charon's VICI socket appears */
#define SERVICE_STOP_TIMEOUT_MS 10000	/* charon exits after SIGTERM, else SIGKILL */
#define SERVICE_VICI_TIMEOUT_MS 5000
/* systemd units that run charon, in order of preference (charon-systemd, then the starter) */
static const char *const service_units[] = { "strongswan.service", "strongswan-starter.service", NULL };

struct service_args {
	bool json;
};

static const struct opt_def service_opts[] = {
	{ .name = "json", OPT_FLAG(struct service_args, json),
	  .help = "status as {\"running\", \"pid\", \"uptime\", \"manager\", \"vici\", \"version\", "
		  "\"connections\", \"ike_sas_up\", \"tunnels_configured\", \"tunnels_down\"}" },
	{ .name = NULL },
};

const struct opt_spec cmd_service_spec = {
	.operands = "one of start, stop, restart, status",
	.min_operands = 1,
	.max_operands = 1,
	.verb = "service",
	.usage =
		"usage: tunnelctl service start|stop|restart|status [--json]\n",
	.about =
		"Control charon, the IKE daemon tunnelctl drives.\n"
		"\n"
		"  start    start charon and apply the tunnel file; charon runs only if at least one\n"
		"           phase 1 is enabled\n"
		"  stop     stop charon (all tunnels go down)\n"
		"  restart  stop, then start\n"
		"  status   running or not, pid, uptime, VICI reachable, charon's version, connections\n"
		"           loaded, IKE SAs up and configured tunnels down\n"
		"\n"
		"When systemd runs, the unit strongswan.service (package charon-systemd) or\n"
		"strongswan-starter.service is started and stopped through systemd. Otherwise charon\n"
		"(" SERVICE_CHARON ", or $TUNNELCTL_CHARON) is started directly and found through its pid\n"
		"file " SERVICE_PIDFILE " ($TUNNELCTL_CHARON_PIDFILE); start waits until its VICI socket\n"
		"answers.\n",
	.opts = service_opts,
	.tail =
		"exit status: 0 ok (status: charon running and reachable), 1 failed (status: not\n"
		"running or not reachable), 2 usage error or a bad tunnel file\n"
		"\n"
		"examples:\n"
		"  tunnelctl service start\n"
		"  tunnelctl service status --json\n",
};

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static bool systemd_running(void)
{
	struct stat st;

	return stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* The pid in charon's pid file if that process still runs, else 0. */
static pid_t charon_pid(void)
{
	FILE *f = fopen(env_or("TUNNELCTL_CHARON_PIDFILE", SERVICE_PIDFILE), "r");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		pid = 0;
	fclose(f);
	if (pid && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		pid = 0;
	return (pid_t)pid;
}

/* Seconds since the process started, from /proc; -1 if unknown. */
static long process_uptime(pid_t pid)
{
	char path[64], line[1024];
	unsigned long long start = 0;
	double up = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	/* field 22 (starttime) counts from after the ')' closing the command name */
	const char *p = strrchr(line, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return -1;
	f = fopen("/proc/uptime", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lf", &up) != 1)
		up = 0;
	fclose(f);
	return (long)(up - (double)start / (double)sysconf(_SC_CLK_TCK));
}

/* ---- systemd ---- */

/* Call Manager.METHOD(unit, "replace") on the first unit that exists. */
static int systemd_call(const char *method, char **err)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	int rc = sd_bus_open_system(&bus);

	if (rc < 0) {
		*err = xasprintf("cannot reach systemd over D-Bus: %s", strerror(-rc));
		return rc;
	}
	for (size_t i = 0; service_units[i]; i++) {
		sd_bus_message *m = NULL;

		sd_bus_error_free(&e);
		/* sd_bus_call_method(..., "ss", unit, "replace") in its non-variadic steps */
		rc = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
						    "org.freedesktop.systemd1.Manager", method);
		if (rc >= 0)
			rc = sd_bus_message_append_basic(m, 's', service_units[i]);
		if (rc >= 0)
			rc = sd_bus_message_append_basic(m, 's', "replace");
		if (rc >= 0)
			rc = sd_bus_call(bus, m, 0, &e, NULL);
		sd_bus_message_unref(m);
		if (rc >= 0 || !sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
			break;
	}
	if (rc < 0)
		*err = xasprintf("systemd %s failed: %s", method, e.message ? e.message : strerror(-rc));
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	return rc < 0 ? rc : 0;
}

/* ---- direct spawn ---- */

/* Wait until the VICI socket answers, or the deadline passes, or charon dies. */
static int wait_vici(const struct tc_ctx *ctx, pid_t pid, char **err)
{
	int64_t deadline = now_ms() + SERVICE_START_TIMEOUT_MS;
	const char *path = str_startswith(ctx->vici, "unix://") ? ctx->vici + 7 : ctx->vici;
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (slash)
		*slash = '\0';
	/* wake on any change in the socket's directory instead of polling on a timer */
	if (ifd >= 0)
		inotify_add_watch(ifd, *dir ? dir : "/", IN_CREATE | IN_ATTRIB | IN_MOVED_TO);
	free(dir);
	for (;;) {
		struct vici_client *vc = NULL;
		char *cerr = NULL;
		if (vici_client_connect(ctx->vici, SERVICE_VICI_TIMEOUT_MS, &vc, &cerr) == 0) {
			vici_client_close(vc);
			if (ifd >= 0)
				close(ifd);
			return 0;
		}
		free(cerr);
		if (pid && kill(pid, 0) != 0) {
			*err = xasprintf("charon (pid %d) exited during start-up; see its log (tunnelctl logs)", (int)pid);
			break;
		}
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			*err = xasprintf("charon did not open its VICI socket %s within %d s", path,
					 SERVICE_START_TIMEOUT_MS / 1000);
			break;
		}
		/* inotify wakes us at once; the short cap also notices a socket that appears in
		 * a directory created after we started watching, and charon's death */
		struct pollfd p = { .fd = ifd, .events = POLLIN };
		poll(&p, ifd >= 0 ? 1 : 0, left < 200 ? (int)left : 200);
		if (ifd >= 0) {
			char drain[4096];
			while (read(ifd, drain, sizeof(drain)) > 0)
				;
		}
	}
	if (ifd >= 0)
		close(ifd);
	return -1;
}

/* Start charon detached from us (double fork, own session); the pid it runs as, or -1. */
static pid_t spawn_charon(char **err)
{
	const char *charon = env_or("TUNNELCTL_CHARON", SERVICE_CHARON);
	int pfd[2];
	pid_t child, pid = -1;

	if (access(charon, X_OK) != 0) {
		*err = xasprintf("cannot run %s: %s (install strongswan-charon)", charon, strerror(errno));
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		*err = xasprintf("pipe: %s", strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		*err = xasprintf("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (child == 0) {
		close(pfd[0]);
		setsid();
		pid_t g = fork();
		if (g == 0) {
			int null = open("/dev/null", O_RDWR);
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			execl(charon, "charon", (char *)NULL);
			_exit(127);
		}
		if (write(pfd[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &pid, sizeof(pid)) != sizeof(pid) || pid <= 0) {
		*err = xasprintf("could not start %s", charon);
		pid = -1;
	}
	close(pfd[0]);
	waitpid(child, NULL, 0);
	return pid;
}

/* SIGTERM, wait for the exit (pidfd), SIGKILL at the deadline. */
static int stop_pid(pid_t pid, char **err)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (kill(pid, SIGTERM) != 0) {
		if (pfd >= 0)
			close(pfd);
		if (errno == ESRCH)
			return 0;
		*err = xasprintf("cannot stop charon (pid %d): %s", (int)pid, strerror(errno));
		return -1;
	}
	if (pfd >= 0) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		if (poll(&p, 1, SERVICE_STOP_TIMEOUT_MS) == 0) {
			kill(pid, SIGKILL);
			poll(&p, 1, SERVICE_STOP_TIMEOUT_MS);
		}
		close(pfd);
	}
	return 0;
}

/* ---- verbs ---- */

static bool any_enabled(const struct tunnel_file *tf)
{
	for (size_t i = 0; i < tf->n_p1; i++)
		if (tf->p1[i].enabled)
			return true;
	return false;
}

static int do_start(const struct tc_ctx *ctx)
{
	struct tunnel_file *tf = cmd_load_tunnels(ctx);
	char *err = NULL;
	pid_t pid = 0;
	int rc;

	if (!tf)
		return TC_EXIT_USAGE;
	if (!any_enabled(tf)) {
		printf("no enabled phase 1 in %s: charon not started\n", ctx->conf);
		tunnel_file_free(tf);
		return TC_EXIT_OK;
	}
	tunnel_file_free(tf);
	if (systemd_running()) {
		rc = systemd_call("StartUnit", &err);
	} else if ((pid = charon_pid()) > 0) {
		printf("charon already running (pid %d)\n", (int)pid);
		rc = 0;
	} else {
		pid = spawn_charon(&err);
		rc = pid > 0 ? 0 : -1;
	}
	if (rc == 0)
		rc = wait_vici(ctx, pid, &err);
	if (rc != 0) {
		cmd_err("service", "%s", err ? err : "start failed");
		free(err);
		return TC_EXIT_FAIL;
	}
	printf("charon running%s; applying %s\n", systemd_running() ? " (systemd)" : "", ctx->conf);
	fflush(stdout);
	char *argv[] = { "apply", NULL };
	return cmd_apply(1, argv, ctx);
}

static int do_stop(void)
{
	char *err = NULL;
	pid_t pid;
	int rc = 0;

	if (systemd_running()) {
		rc = systemd_call("StopUnit", &err);
	} else if ((pid = charon_pid()) > 0) {
		rc = stop_pid(pid, &err);
	} else {
		printf("charon is not running\n");
		return TC_EXIT_OK;
	}
	if (rc != 0) {
		cmd_err("service", "%s", err);
		free(err);
		return TC_EXIT_FAIL;
	}
	printf("charon stopped\n");
	return TC_EXIT_OK;
}

struct service_status {
	pid_t pid;
	long uptime;
	bool vici;
	char *version;
	size_t conns, ike_up, configured, down;
};

/* Ask charon over VICI: version, loaded connections, established IKE SAs. */
static void query_vici(const struct tc_ctx *ctx, const struct tunnel_file *tf, struct service_status *s)
{
	struct vici_client *vc = NULL;
	struct vici_node *reply = NULL, **sas = NULL;
	size_t n_sas = 0;
	char *err = NULL;

	if (vici_client_connect(ctx->vici, SERVICE_VICI_TIMEOUT_MS, &vc, &err) != 0)
		goto out;
	if (vici_client_request(vc, "version", NULL, SERVICE_VICI_TIMEOUT_MS, &reply, &err) != 0)
		goto out;
	s->vici = true;
	s->version = xstrdup(vici_find_str(reply, "version", "?"));
	vici_node_free(reply);
	reply = NULL;
	if (vici_client_request(vc, "get-conns", NULL, SERVICE_VICI_TIMEOUT_MS, &reply, &err) == 0) {
		struct vici_node *l = vici_child(reply, "conns");
		s->conns = l ? l->n_child : 0;
	}
	if (vici_client_stream(vc, "list-sas", NULL, "list-sa", SERVICE_VICI_TIMEOUT_MS, &sas, &n_sas, &err) == 0) {
		for (size_t i = 0; i < n_sas; i++) {
			for (size_t j = 0; j < sas[i]->n_child; j++) {
				const struct vici_node *sa = sas[i]->child[j];
				if (strcmp(vici_find_str(sa, "state", ""), "ESTABLISHED") == 0)
					s->ike_up++;
			}
		}
	}
	/* a configured tunnel is down when no established IKE SA carries its name */
	for (size_t i = 0; tf && i < tf->n_p1; i++) {
		char name[NAMING_MAX];
		bool up = false;
		if (!tf->p1[i].enabled)
			continue;
		s->configured++;
		naming_ike(&tf->p1[i], name);
		for (size_t k = 0; k < n_sas; k++)
			for (size_t j = 0; j < sas[k]->n_child; j++)
				up |= strcmp(sas[k]->child[j]->name, name) == 0 &&
				      strcmp(vici_find_str(sas[k]->child[j], "state", ""), "ESTABLISHED") == 0;
		s->down += !up;
	}
out:
	vici_nodes_free(sas, n_sas);
	vici_node_free(reply);
	vici_client_close(vc);
	free(err);
}

static int do_status(const struct tc_ctx *ctx, bool json)
{
	struct service_status s = { .uptime = -1 };
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_load(ctx->conf, &errs);	/* optional: only for "down" */
	const char *manager = systemd_running() ? "systemd" : "direct";

	s.pid = charon_pid();
	if (s.pid > 0)
		s.uptime = process_uptime(s.pid);
	query_vici(ctx, tf, &s);
	if (json) {
		json_t *o = json_pack("{s:b, s:I, s:I, s:s, s:b, s:s?, s:I, s:I, s:I, s:I}",
				      "running", s.pid > 0 || s.vici, "pid", (json_int_t)s.pid, "uptime",
				      (json_int_t)s.uptime, "manager", manager, "vici", s.vici, "version",
				      s.version, "connections", (json_int_t)s.conns, "ike_sas_up",
				      (json_int_t)s.ike_up, "tunnels_configured", (json_int_t)s.configured,
				      "tunnels_down", (json_int_t)s.down);
		json_write(stdout, o);
	} else {
		printf("charon:       %s", s.pid > 0 || s.vici ? "running" : "not running");
		if (s.pid > 0)
			printf(" (pid %d, up %ldd %02ld:%02ld:%02ld)", (int)s.pid, s.uptime / 86400,
			       s.uptime / 3600 % 24, s.uptime / 60 % 60, s.uptime % 60);
		printf("\nmanaged by:   %s\n", manager);
		printf("VICI:         %s (%s)\n", s.vici ? "reachable" : "not reachable", ctx->vici);
		if (s.vici) {
			printf("version:      %s\n", s.version);
			printf("connections:  %zu loaded\n", s.conns);
			printf("IKE SAs:      %zu up\n", s.ike_up);
			if (tf)
				printf("tunnels:      %zu configured, %zu down\n", s.configured, s.down);
		}
	}
	free(s.version);
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	return s.vici ? TC_EXIT_OK : TC_EXIT_FAIL;
}

int cmd_service(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct service_args a = { .json = false };
	int first = cmd_parse(&cmd_service_spec, argc, argv, &a);
	const char *verb;

	if (first < 0)
		return CMD_PARSE_EXIT(first);
	verb = argv[first];
	if (strcmp(verb, "start") == 0)
		return do_start(ctx);
	if (strcmp(verb, "stop") == 0)
		return do_stop();
	if (strcmp(verb, "restart") == 0) {
		int rc = do_stop();
		return rc == TC_EXIT_OK ? do_start(ctx) : rc;
	}
	if (strcmp(verb, "status") == 0)
		return do_status(ctx, a.json);
	cmd_err("service", "unknown action '%s': use start, stop, restart or status", verb);
	return TC_EXIT_USAGE;
}
