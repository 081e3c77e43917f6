/* keepalive.c - the keep-alive engine (docs/keepalive.md): watch charon's SAs over VICI events
 * and a periodic check, re-initiate with backoff, restart children whose ping host is dead,
 * follow charon across restarts. No threads and no sleeps: everything waits in the caller's
 * poll(). */
#include "keepalive.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "cmd.h"
#include "naming.h"
#include "keepalive_ping.h"
#include "peerwatch.h"
#include "stallwatch.h"
#include "state.h"
#include "tunnel.h"
#include "vici.h"
#include "vici_client.h"

#define KA_VICI_TIMEOUT_MS 10000	/* list-sas, registrations, get-conns on the local socket */
#define KA_EVENT_READ_MS 1000		/* rest of an event once its first bytes arrived */
#define KA_OP_TIMEOUT_MS 600000		/* an initiation charon has not answered: give it up */
#define KA_TERMINATE_MS 5000		/* restart: how long charon may wait for the DELETE answer */
#define KA_CONNECT_MIN_MS 500		/* reconnect to charon: first retry */
#define KA_CONNECT_MAX_MS 5000		/* reconnect backoff cap (a local socket: cheap to try) */
#define KA_STABLE_MS 10000		/* up this long without ping losses = healthy, backoff reset */
#define KA_REASON_MAX 200
#define KA_SLOT_WAIT_MS 250		/* all initiation slots busy: look again this soon */
#define KA_UNANSWERED_MS 1500		/* an initiation's IKE_SA_INIT still unanswered then: silent so far */
#define KA_PROBES_GONE 2		/* IKE probes in a row gone within a second: the peer refused them */
#define KA_NO_GW ((size_t)-1)		/* a target whose gateway is no address (any peer, a name) */
#define KA_XFRM_STAT "/proc/net/xfrm_stat"	/* the kernel's XFRM error counters, per namespace */

/* every initiation in flight, the event connection and the two ICMP sockets get a poll entry */
_Static_assert(KEEPALIVE_MAX_INFLIGHT + 3 <= KEEPALIVE_MAX_FDS, "poll entries for every initiation");

enum ka_sa { KA_SA_UNKNOWN, KA_SA_DOWN, KA_SA_CONNECTING, KA_SA_UP };

enum ka_op { KA_OP_NONE, KA_OP_TERMINATE, KA_OP_INITIATE };

/* Decisions that repeat at every check while nothing changes are logged once. */
enum ka_quiet { KA_QUIET_NONE, KA_QUIET_SKIP, KA_QUIET_WAIT };

/* One child name charon knows (conN or conN_M) that we keep up or ping. */
struct ka_target {
	char ike[NAMING_MAX], child[NAMING_MAX];
	bool watch;		/* keepalive = yes, or start_action = start */
	bool pinged;		/* has at least one ping host: attempts reset on replies only */
	enum ka_sa sa;
	struct vici_client *op;	/* the initiation (or restart) in flight, on its own connection */
	enum ka_op op_kind;
	bool op_restart;
	int64_t op_deadline;
	int64_t next_try;	/* backoff: no initiation before this (0: none planned) */
	int64_t last_try;	/* when the last initiation started */
	bool restart_due;	/* dead: restart once next_try is reached */
	bool slot_wait;		/* next_try is only a wait for a free initiation slot */
	bool tried;		/* once mode: initiated in this pass (one attempt per pass) */
	int64_t up_since;
	unsigned attempts;
	enum ka_quiet quiet;	/* the repeated decision last logged */
	char peer[INET6_ADDRSTRLEN];	/* remote_gateway when it is an address, else "" */
	size_t gw;		/* index in ka->gw, or KA_NO_GW */
	bool silent;		/* the last attempt got no answer at all from the peer (not a refusal) */
	bool refused;		/* the last attempt failed with an answer (or locally): backoff, no probing */
	bool half_open;		/* the initiation in flight: its IKE_SA_INIT unanswered after KA_UNANSWERED_MS */
	bool unanswered_checked;	/* the check KA_UNANSWERED_MS into the initiation ran */
	bool manual;		/* manually down, as of the last check */
	char down_why[KA_REASON_MAX];	/* what the check that first found it down was about */
	struct state_keepalive rec;
	/* its installed child SA's counters as of the last check (issue 17: stalled tunnels) */
	bool counted;			/* an installed child SA was found */
	uint64_t sa_id, pk_in, pk_out;
	struct stallwatch stall;
	bool stall_held;		/* stalled, restart held back: said, and nothing came back since */
	enum tunnel_stall stall_action;	/* the least its phase 2 entries ask (a merged child has several) */
};

/* One peer address that watched tunnels go to, for telling a silent peer from a refusing one. */
struct ka_gw {
	char addr[INET6_ADDRSTRLEN];	/* remote_gateway, a literal address */
	struct peerwatch pw;
	enum peerwatch_event ev;	/* what IKE told since the last step (answer, peer initiated) */
	enum peerwatch_event echo_ev;	/* what the last echo told since the last step (reply, lost) */
	int family;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	bool echo_waiting;
	uint16_t echo_seq;
	int64_t echo_deadline;
	bool echo_tried_up;		/* a learning echo was sent while a tunnel to it was up */
	bool echo_failed;		/* echoes cannot even be sent (no raw socket): IKE probes only */
	bool probe_sent;		/* an IKE probe was queued in charon and not yet found answered */
	unsigned probes_gone;		/* probes in a row whose IKE SA was gone a second later */
	unsigned tunnels;		/* watched tunnels to it, as of the last step */
	time_t silent_since, back_since;	/* wall clock of the last silence's start and end, for status */
};

/* What a poll entry belongs to. */
enum ka_fd_kind { KA_FD_EVENTS, KA_FD_OP, KA_FD_PING };

struct keepalive {
	struct keepalive_config cfg;
	struct tc_ctx ctx;		/* cfg.ctx, with conf = the file being watched */
	char *conf;			/* owned: the file followed after a `tunnelctl apply`, or NULL */
	struct tunnel_file *tf;
	struct vici_client *vc;		/* events and list-sas */
	bool lost;			/* we had charon and lost it: say so when it is back */
	bool tried;			/* a connection was attempted */
	bool unreach_logged;		/* "charon unreachable" said once per outage */
	bool reapply_pending;		/* SIGHUP while charon was away: apply once it is back */
	int64_t applied_ns;		/* STATE_DIR/applied.conf's mtime when we last looked */
	unsigned tunnels_gen;		/* bumped whenever tf is replaced */
	int64_t next_connect, connect_backoff;
	bool check_now;
	char check_reason[KA_REASON_MAX];
	int64_t next_check;
	bool checked;			/* once mode: the one check ran */
	struct ka_target *t;
	size_t n_t;
	struct keepalive_ping *p;
	size_t n_p;
	struct ka_gw *gw;
	size_t n_gw;
	struct keepalive_icmp icmp;	/* raw ICMP sockets and our echo identifier */
	uint64_t rng;
	struct keepalive_stats stats;
	struct buf xfrm_prev, xfrm_cur;	/* /proc/net/xfrm_stat at the previous check and at this one */
	struct {
		enum ka_fd_kind kind;
		size_t idx;
		int fd;
	} map[KEEPALIVE_MAX_FDS];
	size_t n_map;
};

/* ---- decisions: log callback and state record ---- */

static void decide(struct keepalive *ka, struct ka_target *t, int prio, const char *action, int64_t retry_ms,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void decide(struct keepalive *ka, struct ka_target *t, int prio, const char *action, int64_t retry_ms,
		   const char *fmt, ...)
{
	struct keepalive_decision d = { .priority = prio, .action = action, .retry_ms = retry_ms };
	char reason[STATE_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	d.reason = reason;
	d.tunnel = t ? t->child : "charon";
	d.attempts = t ? t->attempts : 0;
	if (ka->cfg.log)
		ka->cfg.log(ka->cfg.log_arg, &d);
	if (!t)
		return;
	t->rec.time = time(NULL);
	snprintf(t->rec.action, sizeof(t->rec.action), "%s", action);
	snprintf(t->rec.reason, sizeof(t->rec.reason), "%s", reason);
	t->rec.attempts = t->attempts;
	t->rec.next_try = retry_ms > 0 ? t->rec.time + (retry_ms + 999) / 1000 : 0;
	state_keepalive_save(ka->cfg.ctx->state_dir, t->child, &t->rec);	/* best effort: status only */
}

/* A decision about a peer address rather than a tunnel: logged, not recorded per tunnel. */
static void decide_peer(struct keepalive *ka, const struct ka_gw *g, int prio, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void decide_peer(struct keepalive *ka, const struct ka_gw *g, int prio, const char *action, const char *fmt, ...)
{
	struct keepalive_decision d = { .priority = prio, .action = action, .tunnel = g->addr };
	char reason[STATE_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	d.reason = reason;
	if (ka->cfg.log)
		ka->cfg.log(ka->cfg.log_arg, &d);
}

/* ---- time ---- */

static uint64_t rng_next(struct keepalive *ka)
{
	ka->rng ^= ka->rng << 13;
	ka->rng ^= ka->rng >> 7;
	ka->rng ^= ka->rng << 17;
	return ka->rng;
}

/* Delay before the next attempt after `attempts` failed ones: 1 s doubling to 5 min, ±10 %. */
static int64_t backoff_ms(struct keepalive *ka, unsigned attempts)
{
	int64_t d = KEEPALIVE_BACKOFF_MIN_MS;
	int64_t jitter;

	for (unsigned i = 1; i < attempts && d < KEEPALIVE_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > KEEPALIVE_BACKOFF_MAX_MS)
		d = KEEPALIVE_BACKOFF_MAX_MS;
	d /= ka->cfg.time_scale ? ka->cfg.time_scale : 1;
	jitter = d / 10;
	if (jitter > 0)
		d += (int64_t)(rng_next(ka) % (uint64_t)(2 * jitter + 1)) - jitter;
	return d;
}

static int64_t interval_ms(const struct keepalive *ka, unsigned long long seconds)
{
	return (int64_t)seconds * 1000 / (ka->cfg.time_scale ? ka->cfg.time_scale : 1);
}

/* ---- targets from the tunnel file ---- */

static bool manually_down(const struct keepalive *ka, const struct ka_target *t)
{
	return state_is_down(ka->cfg.ctx->state_dir, t->ike) || state_is_down(ka->cfg.ctx->state_dir, t->child);
}

static struct ka_target *target_get(struct keepalive *ka, const char *ike, const char *child)
{
	for (size_t i = 0; i < ka->n_t; i++)
		if (strcmp(ka->t[i].child, child) == 0 && strcmp(ka->t[i].ike, ike) == 0)
			return &ka->t[i];
	ka->t = xrealloc(ka->t, (ka->n_t + 1) * sizeof(*ka->t));
	struct ka_target *t = &ka->t[ka->n_t++];
	memset(t, 0, sizeof(*t));
	snprintf(t->ike, sizeof(t->ike), "%s", ike);
	snprintf(t->child, sizeof(t->child), "%s", child);
	state_keepalive_load(ka->cfg.ctx->state_dir, child, &t->rec);	/* keeps the counters going */
	return t;
}

static void ping_add(struct keepalive *ka, size_t target, const struct tunnel_phase2 *p2)
{
	ka->p = xrealloc(ka->p, (ka->n_p + 1) * sizeof(*ka->p));
	if (keepalive_ping_init(&ka->p[ka->n_p], target, p2))
		ka->n_p++;
}

/* The gateways of the targets (literal addresses only); what is known of those that stay is kept. */
static void gateways_build(struct keepalive *ka)
{
	struct ka_gw *old = ka->gw;
	size_t n_old = ka->n_gw;

	ka->gw = NULL;
	ka->n_gw = 0;
	for (size_t i = 0; i < ka->n_t; i++) {
		struct ka_target *t = &ka->t[i];
		size_t g;
		t->gw = KA_NO_GW;
		if (!t->peer[0])
			continue;
		for (g = 0; g < ka->n_gw && strcmp(ka->gw[g].addr, t->peer) != 0; g++)
			;
		if (g == ka->n_gw) {
			struct ka_gw *n;
			ka->gw = xrealloc(ka->gw, (ka->n_gw + 1) * sizeof(*ka->gw));
			n = &ka->gw[ka->n_gw++];
			memset(n, 0, sizeof(*n));
			for (size_t k = 0; k < n_old; k++)
				if (strcmp(old[k].addr, t->peer) == 0)
					*n = old[k];
			snprintf(n->addr, sizeof(n->addr), "%s", t->peer);
			keepalive_ping_addr_parse(n->addr, &n->dst, &n->dst_len, &n->family);
		}
		t->gw = g;
	}
	free(old);
}

/* remote_gateway as the address the gateway is watched by, or "" (a name, or any peer). */
static void peer_of(const struct tunnel_phase1 *p1, char out[INET6_ADDRSTRLEN])
{
	unsigned char a[16];

	out[0] = '\0';
	if (!p1->remote_gateway || tunnel_gateway_is_any(p1->remote_gateway))
		return;
	if (inet_pton(AF_INET, p1->remote_gateway, a) == 1 || inet_pton(AF_INET6, p1->remote_gateway, a) == 1)
		snprintf(out, INET6_ADDRSTRLEN, "%s", p1->remote_gateway);
}

/* Targets and pings for the enabled entries of tf; state of targets already known is kept. */
static void targets_build(struct keepalive *ka)
{
	struct ka_target *old = ka->t;
	size_t n_old = ka->n_t;

	for (size_t i = 0; i < ka->n_p; i++)
		keepalive_ping_close(&ka->p[i]);
	free(ka->p);
	ka->p = NULL;
	ka->n_p = 0;
	ka->t = NULL;
	ka->n_t = 0;
	for (size_t i = 0; i < ka->tf->n_p1; i++) {
		const struct tunnel_phase1 *p1 = &ka->tf->p1[i];
		char ike[NAMING_MAX], child[NAMING_MAX];
		if (!p1->enabled)
			continue;
		naming_ike(p1, ike);
		for (size_t j = 0; j < p1->n_p2; j++) {
			const struct tunnel_phase2 *p2 = &p1->p2[j];
			bool watch = p2->keepalive || p1->start_action == TUNNEL_ACTION_START;
			if (!p2->enabled || (!watch && !p2->ping_host))
				continue;
			naming_child(p1, p2, child);
			struct ka_target *t = target_get(ka, ike, child);
			t->watch |= watch;
			if (p2->stall_action > t->stall_action)
				t->stall_action = p2->stall_action;
			peer_of(p1, t->peer);
			if (p2->ping_host) {
				t->pinged = true;
				ping_add(ka, (size_t)(t - ka->t), p2);
			}
		}
	}
	/* carry over what we know of tunnels that stay; end the initiations of those that went */
	for (size_t k = 0; k < n_old; k++) {
		struct ka_target *o = &old[k], *t = NULL;
		for (size_t i = 0; i < ka->n_t && !t; i++)
			if (strcmp(ka->t[i].child, o->child) == 0 && strcmp(ka->t[i].ike, o->ike) == 0)
				t = &ka->t[i];
		if (!t) {
			vici_client_close(o->op);
			continue;
		}
		bool watch = t->watch, pinged = t->pinged;
		enum tunnel_stall stall_action = t->stall_action;
		char peer[INET6_ADDRSTRLEN];
		memcpy(peer, t->peer, sizeof(peer));
		*t = *o;
		t->watch = watch;
		t->pinged = pinged;
		t->stall_action = stall_action;
		memcpy(t->peer, peer, sizeof(peer));
	}
	free(old);
	gateways_build(ka);
}

/* ---- charon connection ---- */

static void op_end(struct ka_target *t)
{
	vici_client_close(t->op);
	t->op = NULL;
	t->op_kind = KA_OP_NONE;
}

static void charon_lost(struct keepalive *ka, const char *why)
{
	if (!ka->lost)
		decide(ka, NULL, LOG_WARNING, "charon-lost", 0, "lost the VICI connection (%s); reconnecting", why);
	vici_client_close(ka->vc);
	ka->vc = NULL;
	ka->lost = true;
	ka->stats.charon = false;
	for (size_t i = 0; i < ka->n_t; i++) {
		op_end(&ka->t[i]);
		ka->t[i].sa = KA_SA_UNKNOWN;
	}
	ka->unreach_logged = true;	/* said above */
	ka->connect_backoff = KA_CONNECT_MIN_MS;
	ka->next_connect = now_ms() + ka->connect_backoff;
}

/* True when charon has none of our connections loaded: it (re)started empty. */
static bool charon_empty(struct keepalive *ka)
{
	struct vici_node *reply = NULL, *conns;
	char *err = NULL;
	bool empty = true;

	if (vici_client_request(ka->vc, "get-conns", NULL, KA_VICI_TIMEOUT_MS, &reply, &err) != 0) {
		free(err);
		return false;	/* cannot tell: do not apply behind the user's back */
	}
	conns = vici_child(reply, "conns");
	for (size_t i = 0; conns && i < conns->n_child; i++) {
		const char *name = vici_list_str(conns, i);
		if (name && apply_is_ours(name))
			empty = false;
	}
	vici_node_free(reply);
	return empty;
}

/* Apply the tunnel file; log the outcome. */
static int reapply(struct keepalive *ka, const char *why)
{
	struct apply_opts ao = { .no_start = true };
	struct apply_result res;
	int rc = apply_run(&ka->ctx, ka->tf, &ao, &res);

	state_applied_mtime(ka->cfg.ctx->state_dir, &ka->applied_ns);	/* our own write: not news */

	if (rc == 0)
		decide(ka, NULL, LOG_NOTICE, "reapply", 0, "%s: applied %s (%zu connection change%s)", why,
		       ka->ctx.conf, res.plan.n, res.plan.n == 1 ? "" : "s");
	else
		decide(ka, NULL, LOG_ERR, "reapply-failed", 0, "%s: applying %s failed: %s%s", why, ka->ctx.conf,
		       res.error ? res.error : "unknown error", res.rolled_back ? " (rolled back)" : "");
	apply_result_free(&res);
	return rc == 0 ? 0 : -1;
}

static void try_connect(struct keepalive *ka)
{
	static const char *const events[] = { "ike-updown", "child-updown", "ike-rekey", "child-rekey" };
	char *err = NULL;
	int rc = vici_client_connect(ka->cfg.ctx->vici, KA_VICI_TIMEOUT_MS, &ka->vc, &err);

	ka->tried = true;
	for (size_t i = 0; rc == 0 && !ka->cfg.once && i < sizeof(events) / sizeof(events[0]); i++)
		rc = vici_client_register(ka->vc, events[i], KA_VICI_TIMEOUT_MS, &err);
	if (rc != 0) {
		if (!ka->unreach_logged)
			decide(ka, NULL, LOG_WARNING, "charon-unreachable", 0, "%s%s", err ? err : strerror(-rc),
			       ka->cfg.once ? "" : "; retrying");
		ka->unreach_logged = true;
		free(err);
		vici_client_close(ka->vc);
		ka->vc = NULL;
		ka->connect_backoff = ka->connect_backoff ? ka->connect_backoff * 2 : KA_CONNECT_MIN_MS;
		if (ka->connect_backoff > KA_CONNECT_MAX_MS)
			ka->connect_backoff = KA_CONNECT_MAX_MS;
		ka->next_connect = now_ms() + ka->connect_backoff;
		return;
	}
	if (ka->lost)
		decide(ka, NULL, LOG_NOTICE, "charon-back", 0, "connected to charon again");
	/* a charon restart is not the tunnels' failure: their backoff starts over */
	for (size_t i = 0; ka->lost && i < ka->n_t; i++) {
		ka->t[i].attempts = 0;
		ka->t[i].next_try = 0;
		ka->t[i].restart_due = false;
		ka->t[i].up_since = 0;
	}
	ka->lost = false;
	ka->unreach_logged = false;
	ka->stats.charon = true;
	ka->connect_backoff = 0;
	if (ka->reapply_pending)
		reapply(ka, "reload requested while charon was away");
	else if (charon_empty(ka) && ka->tf->n_p1)
		reapply(ka, "charon has none of our connections loaded (it started empty)");
	ka->reapply_pending = false;
	ka->check_now = true;
	snprintf(ka->check_reason, sizeof(ka->check_reason), "%s", ka->checked ? "charon is back" : "start");
}

/* ---- the check: list-sas, then decide per target ---- */

static enum ka_sa child_state(const char *state)
{
	if (str_eq(state, "INSTALLED") || str_eq(state, "REKEYING") || str_eq(state, "REKEYED") ||
	    str_eq(state, "UPDATING"))
		return KA_SA_UP;
	if (str_eq(state, "CREATED") || str_eq(state, "INSTALLING"))
		return KA_SA_CONNECTING;
	return KA_SA_DOWN;	/* ROUTED (a trap is no SA), DELETING, DELETED, DESTROYING, RETRYING, FAILED */
}

/* An IKE SA we initiate whose IKE_SA_INIT the peer has not answered: no responder SPI yet. */
static bool ike_sa_half_open(const struct vici_node *ike)
{
	const char *spi = vici_find_str(ike, "responder-spi", "");

	if (!str_eq(vici_find_str(ike, "state", ""), "CONNECTING") || !str_eq(vici_find_str(ike, "initiator", "no"), "yes"))
		return false;
	return strspn(spi, "0") == strlen(spi);
}

/* The state of target t in one list-sa event (one IKE SA). */
static enum ka_sa ike_sa_state(const struct vici_node *ike, const struct ka_target *t)
{
	const char *state = vici_find_str(ike, "state", "");
	const struct vici_node *children = vici_child(ike, "child-sas");
	enum ka_sa best = KA_SA_DOWN;

	if (str_eq(state, "CONNECTING") || str_eq(state, "CREATED"))
		return KA_SA_CONNECTING;	/* we or the peer are bringing it up: wait */
	if (!str_eq(state, "ESTABLISHED") && !str_eq(state, "REKEYING") && !str_eq(state, "PASSIVE"))
		return KA_SA_DOWN;
	for (size_t i = 0; children && i < children->n_child; i++) {
		const struct vici_node *c = children->child[i];
		if (!str_eq(vici_find_str(c, "name", ""), t->child))
			continue;
		enum ka_sa s = child_state(vici_find_str(c, "state", ""));
		if (s > best)
			best = s;
	}
	return best;
}

static void initiate(struct keepalive *ka, struct ka_target *t, bool restart, const char *why);

/* A free initiation slot? If not, t is looked at again in KA_SLOT_WAIT_MS. */
static bool slot_free(const struct keepalive *ka, struct ka_target *t, int64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < ka->n_t; i++)
		n += ka->t[i].op != NULL;
	if (n < KEEPALIVE_MAX_INFLIGHT)
		return true;
	t->next_try = now + KA_SLOT_WAIT_MS;
	return false;
}

/* The installed child SA t watches in one IKE SA of a list-sa event: the newest (after a
 * rekey both may be listed) gives t its counters. */
static void child_counters(const struct vici_node *ike, struct ka_target *t)
{
	const struct vici_node *children = vici_child(ike, "child-sas");

	for (size_t i = 0; children && i < children->n_child; i++) {
		const struct vici_node *c = children->child[i];
		if (!str_eq(vici_find_str(c, "name", ""), t->child) || child_state(vici_find_str(c, "state", "")) != KA_SA_UP)
			continue;
		uint64_t id = strtoull(vici_find_str(c, "uniqueid", "0"), NULL, 10);
		if (t->counted && id <= t->sa_id)
			continue;
		t->counted = true;
		t->sa_id = id;
		t->pk_in = strtoull(vici_find_str(c, "packets-in", "0"), NULL, 10);
		t->pk_out = strtoull(vici_find_str(c, "packets-out", "0"), NULL, 10);
	}
}

/* Read /proc/net/xfrm_stat (this network namespace's) for this check; the previous reading
 * is kept to compare with. A kernel without it leaves both empty. */
static void xfrm_read(struct keepalive *ka)
{
	buf_free(&ka->xfrm_prev);
	ka->xfrm_prev = ka->xfrm_cur;
	if (file_read_all(KA_XFRM_STAT, STALLWATCH_XFRM_MAX, &ka->xfrm_cur) != 0)
		buf_init(&ka->xfrm_cur);
}

/* Installed and watched: packets go out and none come back for STALLWATCH_SAMPLES checks =
 * sending into a dead tunnel (issue 17 item 5): restart the child, at most once per
 * STALLWATCH_RESTART_GAP_MS; a stall within that time is said once and left alone. */
static void stall_check(struct keepalive *ka, struct ka_target *t, int64_t now)
{
	int64_t gap = interval_ms(ka, ka->tf->global.keepalive_interval) / 2;
	int64_t limit = STALLWATCH_RESTART_GAP_MS / (ka->cfg.time_scale ? ka->cfg.time_scale : 1);
	char xfrm[160], why[KA_REASON_MAX];
	enum stallwatch_verdict v;

	if (!t->counted || t->stall_action == TUNNEL_STALL_NONE) {
		stallwatch_reset(&t->stall);
		t->stall_held = false;
		return;
	}
	if (!t->watch || t->manual || ka->cfg.once || t->op || t->restart_due)
		return;
	v = stallwatch_sample(&t->stall, t->sa_id, t->pk_in, t->pk_out, now, gap, limit);
	if (v == STALLWATCH_FLOWING && t->stall_held) {
		t->stall_held = false;
		decide(ka, t, LOG_NOTICE, "up", 0, "packets come back through child SA #%llu again: no longer stalled",
		       (unsigned long long)t->sa_id);
	}
	if (v == STALLWATCH_OK || v == STALLWATCH_FLOWING || v == STALLWATCH_SUSPECT || (v == STALLWATCH_HELD && t->stall_held))
		return;
	if (stallwatch_xfrm_grown(ka->xfrm_prev.data, ka->xfrm_prev.len, ka->xfrm_cur.data, ka->xfrm_cur.len, xfrm + 2,
				  sizeof(xfrm) - 2))
		memcpy(xfrm, "; ", 2);
	else
		xfrm[0] = '\0';
	if (t->stall_action == TUNNEL_STALL_REPORT) {
		/* one-way traffic looks the same: said once per stretch, never restarted */
		if (!t->stall_held)
			decide(ka, t, LOG_WARNING, "stalled", 0,
			       "sending into a dead tunnel: child SA #%llu sent %llu packets and received none in %.0fs (%d checks)%s; not restarted (stall_action = report)",
			       (unsigned long long)t->sa_id, (unsigned long long)t->stall.sent,
			       (double)(now - t->stall.since) / 1000, STALLWATCH_SAMPLES, xfrm);
		t->stall_held = true;
		return;
	}
	if (v == STALLWATCH_HELD) {
		t->stall_held = true;
		decide(ka, t, LOG_WARNING, "stalled", 0,
		       "sending into a dead tunnel: child SA #%llu sent %llu packets and received none in %.0fs%s; restart held back (the last was %.0fs ago, one per %.0fs)",
		       (unsigned long long)t->sa_id, (unsigned long long)t->stall.sent,
		       (double)(now - t->stall.since) / 1000, xfrm, (double)(now - t->stall.restarted) / 1000,
		       (double)limit / 1000);
		return;
	}
	t->stall_held = false;	/* the restart's outcome says up or failed */
	t->rec.stalls++;
	t->rec.last_stall = time(NULL);
	decide(ka, t, LOG_WARNING, "stalled", 0,
	       "sending into a dead tunnel: child SA #%llu sent %llu packets and received none in %.0fs (%d checks)%s",
	       (unsigned long long)t->sa_id, (unsigned long long)t->stall.sent, (double)(now - t->stall.since) / 1000,
	       STALLWATCH_SAMPLES, xfrm);
	stallwatch_restarted(&t->stall, now);
	if (!slot_free(ka, t, now)) {
		t->restart_due = true;
		return;
	}
	snprintf(why, sizeof(why), "stalled (packets out, none in): terminate and initiate the child");
	initiate(ka, t, true, why);
}

/* Decide for one watched target after a check. */
static void target_decide(struct keepalive *ka, struct ka_target *t, int64_t now)
{
	/* up long enough (and, with a ping host, answering) = healthy: the backoff starts over */
	if (t->up_since && now - t->up_since >= KA_STABLE_MS && !t->pinged)
		t->attempts = 0;
	t->manual = t->watch && manually_down(ka, t);
	if (t->sa == KA_SA_UP) {
		if (!t->up_since)
			t->up_since = now;
		t->silent = false;
		t->quiet = KA_QUIET_NONE;
		t->down_why[0] = '\0';
		stall_check(ka, t, now);
		return;
	}
	stallwatch_reset(&t->stall);
	t->up_since = 0;
	if (!t->down_why[0])
		snprintf(t->down_why, sizeof(t->down_why), "%s", ka->check_reason);
	if (!t->watch || t->op || (ka->cfg.once && t->tried))
		return;
	if (t->manual) {
		if (t->quiet != KA_QUIET_SKIP)
			decide(ka, t, LOG_INFO, "skip", 0, "down, and manually down (`tunnelctl down`): left alone until `tunnelctl up`");
		t->quiet = KA_QUIET_SKIP;
		ka->stats.skipped++;
		return;
	}
	if (t->silent && t->gw != KA_NO_GW && ka->gw[t->gw].pw.silent) {
		t->next_try = 0;	/* its gateway is probed once a second instead of its own backoff */
		return;
	}
	if (t->sa == KA_SA_CONNECTING) {
		if (t->quiet != KA_QUIET_WAIT)
			decide(ka, t, LOG_INFO, "wait", 0, "an IKE or child SA is being negotiated (CONNECTING): not starting another");
		t->quiet = KA_QUIET_WAIT;
		return;
	}
	t->quiet = KA_QUIET_NONE;
	/* down again soon after our last attempt (a flapping peer): that attempt counts as failed */
	if (!ka->cfg.once && t->attempts && !t->next_try)
		t->next_try = t->last_try + backoff_ms(ka, t->attempts);
	if (t->next_try && now < t->next_try && (!ka->cfg.once || t->slot_wait))
		return;	/* backing off (or waiting for a slot); the timer brings us back */
	t->slot_wait = !slot_free(ka, t, now);
	if (t->slot_wait)
		return;
	if (strcmp(t->down_why, ka->check_reason) != 0) {
		char why[2 * KA_REASON_MAX + 16];
		snprintf(why, sizeof(why), "%s; down since: %s", ka->check_reason, t->down_why);
		initiate(ka, t, false, why);
	} else {
		initiate(ka, t, false, ka->check_reason);
	}
}

static void count_watched(struct keepalive *ka)
{
	ka->stats.watched = 0;
	for (size_t i = 0; i < ka->n_t; i++)
		ka->stats.watched += ka->t[i].watch;
}

/* `tunnelctl apply` ran (the applied copy changed): watch what it applied, without a SIGHUP. */
static void follow_apply(struct keepalive *ka)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf;
	char *path;
	int64_t ns;

	if (state_applied_mtime(ka->cfg.ctx->state_dir, &ns) != 0 || ns == ka->applied_ns)
		return;
	ka->applied_ns = ns;
	/* apply may have been given another file (-c): follow the one it applied */
	path = state_applied_path(ka->cfg.ctx->state_dir);
	if (!path)
		path = xstrdup(ka->ctx.conf);
	tf = tunnel_load(path, &errs);
	if (!tf || errs.n_errors) {
		decide(ka, NULL, LOG_WARNING, "follow-failed", 0, "the tunnel file was applied, but %s does not load now (%s); still watching the previous one",
		       path, errs.n ? errs.v[0].msg : "unreadable");
		tunnel_file_free(tf);
		tc_errors_free(&errs);
		free(path);
		return;
	}
	tc_errors_free(&errs);
	tunnel_file_free(ka->tf);
	ka->tf = tf;
	free(ka->conf);
	ka->conf = path;
	ka->ctx.conf = ka->conf;
	ka->tunnels_gen++;
	targets_build(ka);
	count_watched(ka);
	decide(ka, NULL, LOG_NOTICE, "follow", 0, "`tunnelctl apply` ran: watching %s (%u tunnel%s watched)",
	       ka->ctx.conf, ka->stats.watched, ka->stats.watched == 1 ? "" : "s");
	snprintf(ka->check_reason, sizeof(ka->check_reason), "`tunnelctl apply` ran");
}

static void check(struct keepalive *ka)
{
	struct vici_node **events = NULL;
	size_t n_events = 0;
	char *err = NULL;
	int64_t now;
	int rc;

	if (!ka->cfg.once)
		follow_apply(ka);
	rc = vici_client_stream(ka->vc, "list-sas", NULL, "list-sa", KA_VICI_TIMEOUT_MS, &events, &n_events, &err);
	if (rc != 0) {
		charon_lost(ka, err ? err : strerror(-rc));
		free(err);
		return;
	}
	now = now_ms();
	ka->stats.skipped = 0;
	if (!ka->cfg.once)
		xfrm_read(ka);
	for (size_t i = 0; i < ka->n_t; i++) {
		struct ka_target *t = &ka->t[i];
		enum ka_sa s = KA_SA_DOWN;
		t->counted = false;
		for (size_t e = 0; e < n_events; e++) {
			for (size_t k = 0; k < events[e]->n_child; k++) {
				const struct vici_node *ike = events[e]->child[k];
				if (strcmp(ike->name, t->ike) != 0)
					continue;
				enum ka_sa is = ike_sa_state(ike, t);
				if (is > s)
					s = is;
				if (is == KA_SA_UP)
					child_counters(ike, t);
				if (t->op && t->op_kind == KA_OP_INITIATE && now - t->last_try >= KA_UNANSWERED_MS &&
				    ike_sa_half_open(ike))
					t->half_open = true;
			}
		}
		t->sa = s;
	}
	for (size_t e = 0; e < n_events; e++)
		vici_node_free(events[e]);
	free(events);
	for (size_t i = 0; i < ka->n_t; i++)
		target_decide(ka, &ka->t[i], now);
	ka->check_now = false;
	ka->checked = true;
	snprintf(ka->check_reason, sizeof(ka->check_reason), "periodic check (every %llus)",
		 ka->tf->global.keepalive_interval);
	ka->next_check = now + interval_ms(ka, ka->tf->global.keepalive_interval);
}

/* ---- initiations, each on its own VICI connection ---- */

static int op_send(struct ka_target *t, const char *cmd, char **err)
{
	struct vici_msg m;
	int rc;

	vici_msg_init(&m);
	vici_msg_add_str(&m, "ike", t->ike);
	vici_msg_add_str(&m, "child", t->child);
	if (strcmp(cmd, "terminate") == 0)
		vici_msg_add_strf(&m, "timeout", "%d", KA_TERMINATE_MS);
	else
		vici_msg_add_str(&m, "timeout", "0");	/* answer when it is up or has failed */
	vici_msg_add_str(&m, "loglevel", "-1");
	rc = vici_client_send(t->op, cmd, &m, KA_VICI_TIMEOUT_MS, err);
	vici_msg_free(&m);
	return rc;
}

static bool gw_silent(const struct keepalive *ka, const struct ka_target *t)
{
	return t->gw != KA_NO_GW && ka->gw[t->gw].pw.silent;
}

/* The attempt failed: plan the next one. */
static void attempt_failed(struct keepalive *ka, struct ka_target *t, const char *what, const char *why)
{
	int64_t delay = backoff_ms(ka, t->attempts);

	op_end(t);
	ka->stats.failed++;
	if (ka->cfg.once) {
		decide(ka, t, LOG_WARNING, "failed", 0, "%s failed: %s%s", what, why, t->silent ? " (no answer from the peer)" : "");
		return;
	}
	if (t->silent && gw_silent(ka, t)) {
		t->next_try = 0;	/* the gateway's probe brings it back */
		decide(ka, t, LOG_WARNING, "failed", 0, "%s failed: %s; no answer from %s: its gateway is probed every %.1fs",
		       what, why, ka->gw[t->gw].addr, (double)PEERWATCH_PROBE_MS / 1000);
		return;
	}
	t->next_try = now_ms() + delay;
	decide(ka, t, LOG_WARNING, "failed", delay, "%s failed: %s%s; next attempt in %.1fs (attempt %u)", what, why,
	       t->silent ? " (no answer from the peer)" : "", (double)delay / 1000, t->attempts + 1);
}

/* Start an initiation (or the terminate of a restart) on a connection of its own. 0, or -errno
 * with *err set. */
static int op_start(struct keepalive *ka, struct ka_target *t, bool restart, char **err)
{
	int rc = vici_client_connect(ka->cfg.ctx->vici, KA_VICI_TIMEOUT_MS, &t->op, err);

	t->half_open = false;
	t->unanswered_checked = false;
	t->refused = false;
	if (rc == 0) {
		t->op_kind = restart ? KA_OP_TERMINATE : KA_OP_INITIATE;
		t->op_restart = restart;
		t->op_deadline = now_ms() + KA_OP_TIMEOUT_MS;
	}
	if (rc == 0)
		rc = op_send(t, restart ? "terminate" : "initiate", err);
	return rc;
}

static void initiate(struct keepalive *ka, struct ka_target *t, bool restart, const char *why)
{
	char *err = NULL;
	int rc;

	t->attempts++;
	t->tried = true;
	t->rec.reinitiations++;
	t->rec.last_reinit = time(NULL);
	t->last_try = now_ms();
	t->next_try = 0;
	t->restart_due = false;
	ka->stats.initiated++;
	decide(ka, t, LOG_NOTICE, restart ? "restart" : "initiate", 0, "%s (attempt %u)", why, t->attempts);
	rc = op_start(ka, t, restart, &err);
	if (rc != 0)
		attempt_failed(ka, t, restart ? "restart" : "initiation", err ? err : strerror(-rc));
	free(err);
}

/* charon answered an initiation (or the terminate of a restart). */
static void op_answer(struct keepalive *ka, struct ka_target *t)
{
	struct vici_node *reply = NULL;
	char *err = NULL;
	const char *what = t->op_restart ? "restart" : "initiation";
	int rc = vici_client_response(t->op, KA_EVENT_READ_MS, &reply, &err);

	if (rc != 0) {
		attempt_failed(ka, t, what, err ? err : strerror(-rc));
	} else if (t->op_kind == KA_OP_TERMINATE) {
		/* the old child is gone (or was already): bring up a new one on the same connection */
		t->op_kind = KA_OP_INITIATE;
		rc = op_send(t, "initiate", &err);
		if (rc != 0)
			attempt_failed(ka, t, what, err ? err : strerror(-rc));
	} else if (str_eq(vici_find_str(reply, "success", "no"), "yes")) {
		op_end(t);
		t->silent = false;
		t->sa = KA_SA_UP;
		t->up_since = now_ms();
		for (size_t i = 0; i < ka->n_p; i++)
			if (ka->p[i].target == (size_t)(t - ka->t))
				ka->p[i].losses = 0;
		decide(ka, t, LOG_NOTICE, "up", 0, "%s succeeded: child SA installed (attempt %u)", what, t->attempts);
	} else {
		/* its IKE_SA_INIT was still unanswered well into the attempt: the peer is silent, not
		 * refusing (a refusal, or a local error, comes back within round trips) */
		t->silent = t->half_open;
		t->refused = !t->half_open;
		attempt_failed(ka, t, what, vici_find_str(reply, "errmsg", "charon gave no reason"));
	}
	free(err);
	vici_node_free(reply);
}

/* ---- silent gateways: one probe a second per peer address (issue 20, peerwatch.h) ---- */

static void gateway_echo(struct keepalive *ka, struct ka_gw *gw, int64_t now);

/* Record an event for a gateway's next step: echo news and IKE news apart (both are stepped),
 * and of the IKE news the peer initiating over an answer. */
static void gateway_event(struct ka_gw *gw, enum peerwatch_event ev)
{
	if (ev == PEERWATCH_EV_ECHO_REPLY || ev == PEERWATCH_EV_ECHO_LOST)
		gw->echo_ev = ev;
	else if (ev > gw->ev)
		gw->ev = ev;
}

/* What kill_half_open found of our IKE SAs of one config that are being negotiated. */
enum ka_half { KA_HALF_NONE, KA_HALF_KILLED, KA_HALF_ANSWERED };

/* End our IKE SAs of config ike that the peer never answered (no responder SPI): a probe that
 * got no answer, or initiations the gateway's probe replaces. ANSWERED when one of them did get
 * an answer meanwhile (it is left alone: the peer is there), KILLED when some were ended, NONE
 * when there was none. */
static enum ka_half kill_half_open(struct keepalive *ka, const char *ike)
{
	struct vici_node **events = NULL;
	size_t n_events = 0;
	char *err = NULL;
	struct vici_msg m;
	enum ka_half found = KA_HALF_NONE;

	vici_msg_init(&m);
	vici_msg_add_str(&m, "ike", ike);
	vici_msg_add_str(&m, "noblock", "yes");
	if (vici_client_stream(ka->vc, "list-sas", &m, "list-sa", KA_VICI_TIMEOUT_MS, &events, &n_events, &err) != 0)
		n_events = 0;	/* the next check tells whether charon is still there */
	vici_msg_free(&m);
	free(err);
	for (size_t e = 0; e < n_events; e++) {
		for (size_t k = 0; k < events[e]->n_child; k++) {
			const struct vici_node *sa = events[e]->child[k];
			if (strcmp(sa->name, ike) != 0 || !str_eq(vici_find_str(sa, "state", ""), "CONNECTING"))
				continue;
			if (!ike_sa_half_open(sa)) {
				if (str_eq(vici_find_str(sa, "initiator", "no"), "yes"))
					found = KA_HALF_ANSWERED;
				continue;
			}
			if (found == KA_HALF_NONE)
				found = KA_HALF_KILLED;
			struct vici_node *reply = NULL;
			vici_msg_init(&m);
			vici_msg_add_str(&m, "ike-id", vici_find_str(sa, "uniqueid", "0"));
			vici_msg_add_str(&m, "force", "yes");
			vici_msg_add_str(&m, "timeout", "-1");	/* do not wait: nobody answers a DELETE there */
			vici_msg_add_str(&m, "loglevel", "-1");
			if (vici_client_request(ka->vc, "terminate", &m, KA_VICI_TIMEOUT_MS, &reply, &err) != 0) {
				free(err);
				err = NULL;
			}
			vici_msg_free(&m);
			vici_node_free(reply);
		}
	}
	for (size_t e = 0; e < n_events; e++)
		vici_node_free(events[e]);
	free(events);
	return found;
}

/* The tunnel a gateway's IKE probe initiates: the first watched one that is not manually down. */
static struct ka_target *probe_target(struct keepalive *ka, size_t g)
{
	for (size_t i = 0; i < ka->n_t; i++)
		if (ka->t[i].gw == g && ka->t[i].watch && !ka->t[i].manual)
			return &ka->t[i];
	return NULL;
}

/* Write STATE_DIR/KEEPALIVE_PEERS_FILE for status and the metrics (best effort: status only). */
static void peers_save(struct keepalive *ka)
{
	json_t *peers = json_array();
	char *path, *text;

	for (size_t g = 0; g < ka->n_gw; g++) {
		const struct ka_gw *gw = &ka->gw[g];
		json_array_append_new(peers, json_pack("{s:s, s:b, s:I, s:I, s:s, s:I}", "address", gw->addr,
						       "silent", gw->pw.silent, "silent_since", (json_int_t)gw->silent_since,
						       "back_since", (json_int_t)gw->back_since, "probe",
						       gw->pw.echo_learned && !gw->pw.echo_useless ? "echo" : "ike",
						       "tunnels", (json_int_t)gw->tunnels));
	}
	json_t *doc = json_pack("{s:o}", "peers", peers);
	text = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(doc);
	path = xasprintf("%s/%s", ka->cfg.ctx->state_dir, KEEPALIVE_PEERS_FILE);
	if (text)
		(void)!file_write_atomic(path, text, strlen(text), 0644);
	free(text);
	free(path);
}

json_t *keepalive_peers_load(const char *state_dir)
{
	char *path = xasprintf("%s/%s", state_dir, KEEPALIVE_PEERS_FILE);
	json_t *doc = NULL, *peers = NULL;
	struct buf b;

	buf_init(&b);
	if (file_read_all(path, KEEPALIVE_PEERS_MAX_BYTES, &b) == 0)
		doc = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	peers = json_object_get(doc, "peers");
	if (json_is_array(peers))
		json_incref(peers);
	else
		peers = NULL;
	json_decref(doc);
	buf_free(&b);
	free(path);
	return peers;
}

/* One IKE probe: replace the last one (its IKE SA, if still unanswered) by a fresh IKE_SA_INIT.
 * Not an attempt of the tunnel: its backoff and counters stay as they are. The initiation is
 * asynchronous (timeout -1): it holds none of charon's worker threads while the peer is silent,
 * so 20 silent gateways cost 20 queued jobs a second, not 20 blocked threads (charon has 16). */
static void probe_ike(struct keepalive *ka, size_t g)
{
	struct ka_gw *gw = &ka->gw[g];
	struct ka_target *t = probe_target(ka, g);
	struct vici_node *reply = NULL;
	char *err = NULL;
	struct vici_msg m;

	if (!t || t->op)
		return;	/* an initiation of its own is running: that is the probe */
	enum ka_half h = kill_half_open(ka, t->ike);
	/* the last probe got an answer: its SA is negotiating (or up), or it is gone sooner than
	 * charon's retransmits could have run out, i.e. the peer refused it; twice in a row, since
	 * a busy charon may not have created the SA of a probe queued a second ago */
	gw->probes_gone = h == KA_HALF_NONE && gw->probe_sent ? gw->probes_gone + 1 : 0;
	if (h == KA_HALF_ANSWERED || gw->probes_gone >= KA_PROBES_GONE) {
		gw->probe_sent = false;
		gw->probes_gone = 0;
		gateway_event(gw, PEERWATCH_EV_IKE_ANSWER);
		return;
	}
	vici_msg_init(&m);
	vici_msg_add_str(&m, "ike", t->ike);
	vici_msg_add_str(&m, "child", t->child);
	vici_msg_add_str(&m, "timeout", "-1");
	vici_msg_add_str(&m, "loglevel", "-1");
	gw->probe_sent = vici_client_request(ka->vc, "initiate", &m, KA_VICI_TIMEOUT_MS, &reply, &err) == 0 &&
			 str_eq(vici_find_str(reply, "success", "no"), "yes");
	vici_msg_free(&m);
	vici_node_free(reply);
	free(err);
}

/* A gateway's silence began: its tunnels stop initiating on their own (their IKE SAs that
 * retransmit into the void end), the probe takes over. */
static void gateway_silent(struct keepalive *ka, size_t g, const struct peerwatch_view *v)
{
	for (size_t i = 0; i < ka->n_t; i++) {
		struct ka_target *t = &ka->t[i];
		if (t->gw != g || !t->watch)
			continue;
		if (t->op && t->half_open) {
			op_end(t);
			kill_half_open(ka, t->ike);
		}
		t->silent = true;
		t->next_try = 0;
	}
	decide_peer(ka, &ka->gw[g], LOG_WARNING, "silent", "an IKE_SA_INIT to this peer went unanswered and none of its %u tunnel%s is up or answered: probing it every %.1fs instead of backing off, %s",
		    v->tunnels, v->tunnels == 1 ? "" : "s", (double)PEERWATCH_PROBE_MS / 1000,
		    ka->gw[g].pw.echo_learned ? "with an ICMP echo (it answered echoes while up)" : "with an IKE_SA_INIT (no echo answered while up)");
}

/* The gateway answered (or initiated): reset the backoff of every tunnel to it, initiate those down. */
static void gateway_initiate_all(struct keepalive *ka, size_t g, const char *why, int64_t now)
{
	for (size_t i = 0; i < ka->n_t; i++) {
		struct ka_target *t = &ka->t[i];
		if (t->gw != g || !t->watch || t->manual)
			continue;
		bool was_silent = t->silent;
		t->attempts = 0;
		t->next_try = 0;
		t->restart_due = false;
		t->silent = false;
		t->slot_wait = false;
		/* CONNECTING, for a silent one, is as of a check before its unanswered IKE SA was ended */
		if (t->sa == KA_SA_UP || (t->sa == KA_SA_CONNECTING && !was_silent) || t->op)
			continue;
		t->slot_wait = !slot_free(ka, t, now);
		if (!t->slot_wait)
			initiate(ka, t, false, why);
	}
}

/* Step every gateway's schedule with what its tunnels look like now, and act. */
static void gateways_step(struct keepalive *ka, int64_t now)
{
	if (ka->cfg.once)
		return;	/* one pass, no retries: nothing to probe for */
	for (size_t g = 0; g < ka->n_gw && ka->vc; g++) {
		struct ka_gw *gw = &ka->gw[g];
		struct peerwatch_view v = { 0 };
		for (size_t i = 0; i < ka->n_t; i++) {
			const struct ka_target *t = &ka->t[i];
			if (t->gw != g || !t->watch || t->manual)
				continue;
			v.tunnels++;
			v.up += t->sa == KA_SA_UP;
			v.silent += t->sa != KA_SA_UP && (t->silent || (t->op && t->half_open));
			v.answered += t->sa != KA_SA_UP && t->refused;
		}
		/* silent already: an attempt of one of its tunnels that started before is ended as soon
		 * as it retransmits, like those ended when the silence began */
		for (size_t i = 0; gw->pw.silent && i < ka->n_t; i++) {
			struct ka_target *t = &ka->t[i];
			if (t->gw != g || !t->op || !t->half_open)
				continue;
			op_end(t);
			kill_half_open(ka, t->ike);
			t->silent = true;
			t->next_try = 0;
		}
		/* learn whether it answers echoes while a tunnel to it is up (one echo per up period) */
		if (!v.up)
			gw->echo_tried_up = false;
		else if (!gw->pw.echo_learned && !gw->echo_tried_up && !gw->echo_waiting) {
			gw->echo_tried_up = true;
			gateway_echo(ka, gw, now);
		}
		if (gw->echo_waiting && now >= gw->echo_deadline) {
			gw->echo_waiting = false;
			gateway_event(gw, PEERWATCH_EV_ECHO_LOST);
		}
		enum peerwatch_event ev = gw->echo_ev != PEERWATCH_EV_NONE ? gw->echo_ev : gw->ev;
		int64_t since = gw->pw.silent_since;
		unsigned probes = gw->pw.probes;
		unsigned act = peerwatch_step(&gw->pw, now, &v, ev);
		/* both an echo and IKE told something: step the IKE news too, unless the echo ended it all */
		if (gw->echo_ev != PEERWATCH_EV_NONE && gw->ev != PEERWATCH_EV_NONE && !(act & PEERWATCH_ACT_INITIATE_ALL)) {
			ev = gw->ev;
			act |= peerwatch_step(&gw->pw, now, &v, ev);
		}
		gw->ev = gw->echo_ev = PEERWATCH_EV_NONE;
		gw->tunnels = v.tunnels;
		if (act & (PEERWATCH_ACT_SILENT | PEERWATCH_ACT_BACK)) {
			gw->probe_sent = false;
			gw->probes_gone = 0;
		}
		if (act & PEERWATCH_ACT_SILENT)
			gw->silent_since = time(NULL);
		if (act & PEERWATCH_ACT_BACK)
			gw->back_since = time(NULL);
		if (act & PEERWATCH_ACT_SILENT)
			gateway_silent(ka, g, &v);
		if (act & PEERWATCH_ACT_BACK)
			decide_peer(ka, gw, LOG_NOTICE, "peer-back", "%s after %.1fs of silence (%u probe%s): initiating its tunnels",
				    ev == PEERWATCH_EV_PEER_INITIATED ? "the peer initiated an IKE SA"
				    : ev == PEERWATCH_EV_ECHO_REPLY ? "it answers echoes again"
								     : "it answered IKE",
				    (double)(now - since) / 1000, probes, probes == 1 ? "" : "s");
		if (act & (PEERWATCH_ACT_SILENT | PEERWATCH_ACT_BACK))
			peers_save(ka);
		if (act & PEERWATCH_ACT_INITIATE_ALL) {
			char why[KA_REASON_MAX];
			snprintf(why, sizeof(why), "peer %s %s", gw->addr,
				 ev == PEERWATCH_EV_PEER_INITIATED ? "initiated an IKE SA: it is back" : "answers again");
			gateway_initiate_all(ka, g, why, now);
		}
		if (act & PEERWATCH_ACT_PROBE_IKE)
			probe_ike(ka, g);
		if (act & PEERWATCH_ACT_PROBE_ECHO)
			gateway_echo(ka, gw, now);
	}
}

/* ---- events ---- */

/* An updown or rekey event: note what happened and check now. */
static void on_event(struct keepalive *ka, const char *name, const struct vici_node *msg)
{
	bool up = str_eq(vici_find_str(msg, "up", "no"), "yes");
	const char *sa = "";
	const struct vici_node *ike = NULL;

	for (size_t i = 0; i < msg->n_child; i++)
		if (msg->child[i]->type == VICI_NODE_SECTION) {
			ike = msg->child[i];
			sa = ike->name;
		}
	/* an IKE SA up or rekeyed: its peer answers; one the peer initiated: the peer is back */
	if (ike && ((str_eq(name, "ike-updown") && up) || str_eq(name, "ike-rekey"))) {
		const struct vici_node *sa_node = str_eq(name, "ike-rekey") ? vici_child(ike, "new") : ike;
		const char *host = vici_find_str(sa_node, "remote-host", "");
		bool ours = str_eq(vici_find_str(sa_node, "initiator", "no"), "yes");
		enum peerwatch_event ev = str_eq(name, "ike-updown") && !ours ? PEERWATCH_EV_PEER_INITIATED
									    : PEERWATCH_EV_IKE_ANSWER;
		for (size_t g = 0; g < ka->n_gw; g++)
			if (str_eq(ka->gw[g].addr, host))
				gateway_event(&ka->gw[g], ev);
	}
	if (strstr(name, "updown") && !up) {
		snprintf(ka->check_reason, sizeof(ka->check_reason), "%s event: %s went down", name, sa);
		ka->check_now = true;
	} else if (!ka->check_now) {
		/* up and rekey events: refresh our view (no initiation can result for a tunnel that is up) */
		snprintf(ka->check_reason, sizeof(ka->check_reason), "%s event for %s", name, sa);
		ka->check_now = true;
	}
}

static void read_events(struct keepalive *ka)
{
	do {
		char *name = NULL, *err = NULL;
		struct vici_node *msg = NULL;
		int rc = vici_client_wait_event(ka->vc, KA_EVENT_READ_MS, &name, &msg, &err);
		if (rc == -ETIMEDOUT || rc == -EINTR)
			return;
		if (rc != 0) {
			charon_lost(ka, err ? err : strerror(-rc));
			free(err);
			return;
		}
		on_event(ka, name, msg);
		free(name);
		vici_node_free(msg);
	} while (vici_client_pending(ka->vc));
	if (vici_client_dropped(ka->vc) && !ka->check_now) {
		/* a flood filled the queue during a command: what we missed, list-sas tells */
		snprintf(ka->check_reason, sizeof(ka->check_reason), "events dropped while a command ran");
		ka->check_now = true;
	}
}

/* ---- ping hosts (the ICMP side is keepalive_ping.c) ---- */

/* One ICMP echo to a gateway itself (not through a tunnel: the kernel picks the source). */
static void gateway_echo(struct keepalive *ka, struct ka_gw *gw, int64_t now)
{
	if (!gw->family || gw->echo_failed ||
	    keepalive_ping_echo_to(&ka->icmp, gw->family, &gw->dst, gw->dst_len, "tunnelctl probe ", &gw->echo_seq) != 0) {
		gw->echo_failed = true;	/* no raw socket: IKE probes only (they need no echo learned) */
		return;
	}
	gw->echo_waiting = true;
	gw->echo_deadline = now + PEERWATCH_PROBE_MS;
}

/* A reply to a gateway's echo: note it for the gateway's next step. */
static bool gateway_echo_match(void *arg, int family, const struct sockaddr_storage *from, uint16_t seq)
{
	struct keepalive *ka = arg;

	for (size_t g = 0; g < ka->n_gw; g++) {
		struct ka_gw *gw = &ka->gw[g];
		if (gw->echo_waiting && gw->echo_seq == seq && gw->family == family &&
		    keepalive_ping_addr_equal(family, from, &gw->dst)) {
			gw->echo_waiting = false;
			gateway_event(gw, PEERWATCH_EV_ECHO_REPLY);
			return true;
		}
	}
	return false;
}

/* A ping host stopped answering: restart the child now, or when the backoff allows. */
static void dead(void *arg, const struct keepalive_ping *p, int64_t now)
{
	struct keepalive *ka = arg;
	struct ka_target *t = &ka->t[p->target];
	char src[INET6_ADDRSTRLEN] = "?";
	const void *a = p->family == AF_INET ? (const void *)&((const struct sockaddr_in *)&p->src)->sin_addr
					     : (const void *)&((const struct sockaddr_in6 *)&p->src)->sin6_addr;

	inet_ntop(p->family, a, src, sizeof(src));
	if (t->op || t->restart_due)
		return;
	if (manually_down(ka, t)) {
		decide(ka, t, LOG_INFO, "skip", 0, "ping host %s lost %d echoes from %s, but the tunnel is manually down",
		       p->host, KEEPALIVE_PING_LOSSES, src);
		return;
	}
	int64_t due = t->attempts && !ka->cfg.once ? t->last_try + backoff_ms(ka, t->attempts) : now;
	decide(ka, t, LOG_WARNING, "dead", due > now ? due - now : 0,
	       "up but dead: ping host %s lost %d echoes in a row from %s while the child SA is installed%s%s",
	       p->host, KEEPALIVE_PING_LOSSES, src, p->send_failed ? " (the last could not even be sent)" : "",
	       due > now ? "; restart after the backoff" : "");
	if (due > now) {
		t->restart_due = true;
		t->next_try = due;
		return;
	}
	char why[KA_REASON_MAX];
	snprintf(why, sizeof(why), "up but dead (ping host %s does not answer): terminate and initiate the child", p->host);
	if (!slot_free(ka, t, now)) {
		t->restart_due = true;
		return;
	}
	initiate(ka, t, true, why);
}

static bool ping_installed(void *arg, size_t target)
{
	const struct keepalive *ka = arg;

	/* only an installed child can be up but dead */
	return ka->t[target].sa == KA_SA_UP && !ka->t[target].op;
}

static void ping_disabled(void *arg, const struct keepalive_ping *p, int err)
{
	struct keepalive *ka = arg;

	decide(ka, &ka->t[p->target], LOG_WARNING, "ping-disabled", 0, "cannot ping %s: %s", p->host,
	       err == -EADDRNOTAVAIL ? "no address of this machine is inside the phase 2 local network" : strerror(-err));
}

static void ping_answered(void *arg, size_t target)
{
	struct keepalive *ka = arg;

	ka->t[target].attempts = 0;	/* a reply through the tunnel: healthy */
}

static struct keepalive_ping_hooks ping_hooks(struct keepalive *ka)
{
	return (struct keepalive_ping_hooks){
		.arg = ka,
		.once = ka->cfg.once,
		.checked = ka->checked,
		.interval_ms = interval_ms(ka, ka->tf->global.ping_interval),
		.installed = ping_installed,
		.dead = dead,
		.disabled = ping_disabled,
		.gateway_reply = gateway_echo_match,
		.answered = ping_answered,
	};
}

/* ---- the public loop interface ---- */

struct keepalive *keepalive_new(const struct keepalive_config *cfg, struct tunnel_file *tf)
{
	struct keepalive *ka = xcalloc(1, sizeof(*ka));

	ka->cfg = *cfg;
	ka->ctx = *cfg->ctx;
	if (!ka->cfg.time_scale)
		ka->cfg.time_scale = 1;
	ka->tf = tf;
	ka->rng = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	keepalive_ping_icmp_init(&ka->icmp);
	snprintf(ka->check_reason, sizeof(ka->check_reason), "start");
	state_applied_mtime(cfg->ctx->state_dir, &ka->applied_ns);
	targets_build(ka);
	count_watched(ka);
	return ka;
}

void keepalive_free(struct keepalive *ka)
{
	if (!ka)
		return;
	for (size_t i = 0; i < ka->n_t; i++)
		op_end(&ka->t[i]);
	for (size_t i = 0; i < ka->n_p; i++)
		keepalive_ping_close(&ka->p[i]);
	keepalive_ping_icmp_close(&ka->icmp);
	free(ka->t);
	free(ka->p);
	free(ka->gw);
	vici_client_close(ka->vc);
	tunnel_file_free(ka->tf);
	free(ka->conf);
	buf_free(&ka->xfrm_prev);
	buf_free(&ka->xfrm_cur);
	free(ka);
}

int keepalive_reload(struct keepalive *ka, struct tunnel_file *tf)
{
	int rc = 0;

	tunnel_file_free(ka->tf);
	ka->tf = tf;
	free(ka->conf);	/* SIGHUP reads the daemon's own file (-c): watch that one again */
	ka->conf = NULL;
	ka->ctx.conf = ka->cfg.ctx->conf;
	ka->tunnels_gen++;
	targets_build(ka);
	count_watched(ka);
	if (ka->vc)
		rc = reapply(ka, "reload (SIGHUP)");
	else
		ka->reapply_pending = true;
	ka->check_now = true;
	snprintf(ka->check_reason, sizeof(ka->check_reason), "tunnel file reloaded");
	return rc;
}

static void map_add(struct keepalive *ka, struct pollfd *fds, size_t max, enum ka_fd_kind kind, size_t idx, int fd)
{
	if (ka->n_map >= max || ka->n_map >= KEEPALIVE_MAX_FDS)
		return;	/* more than that waits for the next round */
	fds[ka->n_map] = (struct pollfd){ .fd = fd, .events = POLLIN };
	ka->map[ka->n_map].kind = kind;
	ka->map[ka->n_map].idx = idx;
	ka->map[ka->n_map].fd = fd;
	ka->n_map++;
}

static void timer_min(int64_t *next, int64_t t)
{
	if (t > 0 && (*next < 0 || t < *next))
		*next = t;
}

size_t keepalive_poll_fds(struct keepalive *ka, struct pollfd *fds, size_t max, int *timeout_ms)
{
	int64_t now = now_ms(), next = -1;

	ka->n_map = 0;
	if (ka->vc)
		map_add(ka, fds, max, KA_FD_EVENTS, 0, vici_client_fd(ka->vc));
	for (size_t i = 0; i < ka->n_t; i++) {
		struct ka_target *t = &ka->t[i];
		if (t->op) {
			map_add(ka, fds, max, KA_FD_OP, i, vici_client_fd(t->op));
			timer_min(&next, t->op_deadline);
			if (!t->unanswered_checked && !ka->cfg.once)
				timer_min(&next, t->last_try + KA_UNANSWERED_MS);
		}
		if ((!ka->cfg.once || t->slot_wait || t->restart_due) && t->next_try && !t->op)
			timer_min(&next, t->next_try);
	}
	for (size_t i = 0; i < 2; i++)
		if (ka->icmp.fd[i] >= 0)
			map_add(ka, fds, max, KA_FD_PING, i, ka->icmp.fd[i]);
	for (size_t i = 0; i < ka->n_p; i++) {
		struct keepalive_ping *p = &ka->p[i];
		if (p->done)
			continue;
		timer_min(&next, p->waiting ? p->deadline : (p->next_send ? p->next_send : now));
	}
	for (size_t g = 0; g < ka->n_gw && !ka->cfg.once; g++) {
		timer_min(&next, peerwatch_next(&ka->gw[g].pw));
		if (ka->gw[g].echo_waiting)
			timer_min(&next, ka->gw[g].echo_deadline);
		if (ka->gw[g].ev != PEERWATCH_EV_NONE || ka->gw[g].echo_ev != PEERWATCH_EV_NONE)
			next = now;
	}
	if (!ka->vc)
		timer_min(&next, ka->next_connect ? ka->next_connect : now);
	else if (!ka->cfg.once)
		timer_min(&next, ka->next_check);
	if (ka->check_now || (ka->vc && vici_client_pending(ka->vc)))
		next = now;
	*timeout_ms = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
	return ka->n_map;
}

void keepalive_dispatch(struct keepalive *ka, const struct pollfd *fds, size_t n)
{
	int64_t now;

	for (size_t i = 0; i < n && i < ka->n_map; i++) {
		if (!fds[i].revents || fds[i].fd != ka->map[i].fd)
			continue;
		switch (ka->map[i].kind) {
		case KA_FD_EVENTS:
			if (ka->vc && vici_client_fd(ka->vc) == fds[i].fd)
				read_events(ka);
			break;
		case KA_FD_OP:
			if (ka->t[ka->map[i].idx].op && vici_client_fd(ka->t[ka->map[i].idx].op) == fds[i].fd)
				op_answer(ka, &ka->t[ka->map[i].idx]);
			break;
		case KA_FD_PING:
			if (ka->icmp.fd[ka->map[i].idx] == fds[i].fd) {
				struct keepalive_ping_hooks h = ping_hooks(ka);
				keepalive_ping_read(&ka->icmp, ka->p, ka->n_p, ka->map[i].idx == 0 ? AF_INET : AF_INET6,
						    fds[i].fd, &h);
			}
			break;
		}
	}
	ka->n_map = 0;
	if (ka->vc && vici_client_pending(ka->vc))
		read_events(ka);

	/* timers */
	now = now_ms();
	if (!ka->vc && now >= ka->next_connect && (!ka->cfg.once || !ka->tried))
		try_connect(ka);
	if (!ka->vc)
		return;
	for (size_t i = 0; i < ka->n_t; i++) {
		struct ka_target *t = &ka->t[i];
		if (t->op && now >= t->op_deadline)
			attempt_failed(ka, t, t->op_restart ? "restart" : "initiation", "charon did not answer in time");
		/* an initiation still running: has the peer answered its IKE_SA_INIT? list-sas tells */
		if (t->op && !t->unanswered_checked && !ka->cfg.once && now >= t->last_try + KA_UNANSWERED_MS) {
			t->unanswered_checked = true;
			if (!ka->check_now) {
				ka->check_now = true;
				snprintf(ka->check_reason, sizeof(ka->check_reason), "an initiation unanswered for %.1fs",
					 (double)KA_UNANSWERED_MS / 1000);
			}
		}
		if ((!ka->cfg.once || t->slot_wait || t->restart_due) && !t->op && t->next_try && now >= t->next_try) {
			if (t->restart_due && slot_free(ka, t, now)) {
				char why[KA_REASON_MAX];
				snprintf(why, sizeof(why), "up but dead, backoff over: terminate and initiate the child");
				initiate(ka, t, true, why);
			} else if (!t->restart_due && !ka->check_now) {
				ka->check_now = true;	/* look again before initiating: the peer may have */
				snprintf(ka->check_reason, sizeof(ka->check_reason), "backoff over, still down");
			}
		}
	}
	if (ka->check_now || (!ka->cfg.once && now >= ka->next_check) || (ka->cfg.once && !ka->checked))
		check(ka);
	if (ka->vc && ka->checked)
		gateways_step(ka, now_ms());
	if (ka->vc) {
		struct keepalive_ping_hooks h = ping_hooks(ka);
		keepalive_ping_timers(&ka->icmp, ka->p, ka->n_p, now_ms(), &h);
	}
}

const struct tunnel_file *keepalive_tunnels(const struct keepalive *ka, unsigned *generation)
{
	*generation = ka->tunnels_gen;
	return ka->tf;
}

bool keepalive_done(const struct keepalive *ka)
{
	if (!ka->cfg.once)
		return false;
	if (!ka->vc)
		return ka->tried;	/* charon unreachable: nothing more to do */
	if (!ka->checked)
		return false;
	for (size_t i = 0; i < ka->n_t; i++)
		if (ka->t[i].op || ka->t[i].slot_wait || (ka->t[i].restart_due && ka->t[i].next_try))
			return false;
	for (size_t i = 0; i < ka->n_p; i++)
		if (!ka->p[i].done)
			return false;
	return true;
}

void keepalive_get_stats(const struct keepalive *ka, struct keepalive_stats *out)
{
	*out = ka->stats;
	out->up = 0;
	for (size_t i = 0; i < ka->n_t; i++)
		out->up += ka->t[i].watch && ka->t[i].sa == KA_SA_UP;
}
