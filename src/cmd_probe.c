/* cmd_probe.c - `tunnelctl probe NAME|--all`: rekey a tunnel's CHILD_SAs and IKE SA now, so a
 * problem the next rekey would meet (PFS group mismatch, a peer that answers INVALID_KE, a
 * lifetime or rekey problem) shows now instead of in an hour; the doctor names it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "doctor_log.h"
#include "doctor_rules.h"
#include "json.h"
#include "naming.h"
#include "probe.h"
#include "tunnel.h"
#include "vici_client.h"

#define PROBE_TIMEOUT_S 30		/* default --timeout, per rekey: charon's retransmits give up sooner */
#define PROBE_MAX_TIMEOUT_S 600
#define PROBE_VICI_TIMEOUT_MS 5000	/* connect, register, list-sas, the rekey command itself */
#define PROBE_TRAIL_MS 500		/* after a failed CHILD_SA: wait this long for charon's last lines */
#define PROBE_MAX_CHILDREN 64		/* CHILD_SAs rekeyed per IKE SA */
#define PROBE_MAX_LINES 4000		/* log lines fed to the doctor per tunnel; more are not */
#define PROBE_MAX_NOTES 4

struct probe_args {
	bool all, json;
	long timeout;	/* seconds */
};

static const struct opt_def probe_opts[] = {
	{ .name = "all", OPT_FLAG(struct probe_args, all), .help = "probe every IKE SA that is up, one after the other" },
	{ .name = "timeout", OPT_NUMBER(struct probe_args, timeout, "SEC", 1, PROBE_MAX_TIMEOUT_S),
	  .help = "wait at most SEC seconds for each rekey (default 30)" },
	{ .name = "json", OPT_FLAG(struct probe_args, json), .help = "machine-readable result" },
	{ .name = NULL },
};

const struct opt_spec cmd_probe_spec = {
	.verb = "probe",
	.operands = "one NAME (conN, conN_M, a description, N) or --all",
	.max_operands = 1,
	.usage =
		"usage: tunnelctl probe NAME [--timeout SEC] [--json]\n"
		"       tunnelctl probe --all [--timeout SEC] [--json]\n",
	.about =
		"Rekey an up tunnel now: each CHILD_SA, then the IKE SA (a rekey, not a re-authentication),\n"
		"one after the other, watching charon's events and log lines of the tunnel. What would go\n"
		"wrong at the next scheduled rekey shows now: a PFS group that differs between the peers\n"
		"(the first CHILD_SA comes up without a key exchange in IKE_AUTH, so only a rekey uses the\n"
		"group), a peer that answers INVALID_KE_PAYLOAD, a peer that does not answer a rekey. When a\n"
		"rekey fails the doctor reads the log lines of the probe and prints its class, evidence\n"
		"and fix. At the end the tunnel is listed again: it must still be up.\n"
		"\n"
		"Traffic keeps flowing: charon rekeys CHILD_SAs make-before-break (the new SAs are installed\n"
		"before the old ones are deleted), an IKE SA rekey moves the CHILD_SAs unchanged to the new\n"
		"IKE SA (IKEv1: a new Main Mode, the CHILD_SAs carry on), and a failed rekey leaves the old\n"
		"SAs in place until charon retries or their lifetime ends.\n"
		"\n"
		"NAME is conN (every CHILD_SA of the IKE SA), conN_M (that CHILD_SA and its IKE SA), a phase\n"
		"1 description or N.\n",
	.opts = probe_opts,
	.tail =
		"exit status: 0 every rekey succeeded and the tunnels are still up, 1 a rekey failed, a\n"
		"tunnel is not up (or not up any more), or charon cannot be asked, 2 usage error, bad\n"
		"tunnel file or unknown NAME\n"
		"\n"
		"examples:\n"
		"  tunnelctl probe con1\n"
		"  tunnelctl probe HQ --timeout 60\n"
		"  tunnelctl probe --all --json\n",
};

/* One rekey: a CHILD_SA or the IKE SA, before and after. */
struct probe_step {
	bool child;
	char name[NAMING_MAX];		/* child name, or the IKE name */
	char uid[PROBE_UID_MAX];	/* unique id before */
	char new_uid[PROBE_UID_MAX];	/* after, when rekeyed */
	bool ok;
	char *detail;			/* what happened, in words */
	struct doctor *doc;		/* the step's log lines, judged when it failed */
	unsigned long n_lines;
	const struct doctor_verdict *verdict;	/* owned by doc */
};

/* The probe of one IKE SA. */
struct probe_run {
	char ike[NAMING_MAX];
	char only_child[NAMING_MAX];	/* conN_M: only this child, else "" */
	char ike_uid[PROBE_UID_MAX];
	int version;
	char *problem;			/* set when the tunnel cannot be probed (not up, charon) */
	struct probe_step steps[PROBE_MAX_CHILDREN + 1];
	size_t n_steps;
	char *notes[PROBE_MAX_NOTES];	/* things that worked but cost something (INVALID_KE) */
	size_t n_notes;
	bool still_up;
	bool ok;			/* every rekey succeeded and the tunnel is still up */
	char *after;			/* the SAs as listed after the probe */
	const struct doctor_verdict *verdict;	/* the first failed step's, owned by it */
};

struct probe_opts {
	int timeout_ms;
	bool json;
};

static void run_free(struct probe_run *r)
{
	for (size_t i = 0; i < r->n_steps; i++) {
		free(r->steps[i].detail);
		doctor_free(r->steps[i].doc);
	}
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->problem);
	free(r->after);
}

static void free_events(struct vici_node **ev, size_t n)
{
	vici_nodes_free(ev, n);
}

/* list-sas, filtered to ike when not NULL. 0 or -errno with *err set. */
static int list_sas(struct vici_client *vc, const char *ike, struct vici_node ***ev, size_t *n, char **err)
{
	struct vici_msg m;
	int rc;

	vici_msg_init(&m);
	if (ike)
		vici_msg_add_str(&m, "ike", ike);
	rc = vici_client_stream(vc, "list-sas", &m, "list-sa", PROBE_VICI_TIMEOUT_MS, ev, n, err);
	vici_msg_free(&m);
	return rc;
}

/* The established IKE SA named ike in a list-sas answer (the newest when there are several). */
static const struct vici_node *find_established(struct vici_node **ev, size_t n, const char *ike)
{
	const struct vici_node *sa = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct vici_node *s = vici_child(ev[i], ike);
		if (s && str_eq(vici_find_str(s, "state", ""), "ESTABLISHED"))
			sa = s;
	}
	return sa;
}

/* The CHILD_SAs of sa (only those named only when only is not "") in words into b, each with
 * its state (a rekey that hangs leaves one REKEYING); returns how many are INSTALLED. */
static size_t installed_children(const struct vici_node *sa, const char *only, struct buf *b)
{
	const struct vici_node *cs = vici_child(sa, "child-sas");
	size_t n = 0;

	for (size_t i = 0; cs && i < cs->n_child; i++) {
		const struct vici_node *c = cs->child[i];
		const char *state = vici_find_str(c, "state", "?");
		if (*only && !str_eq(vici_find_str(c, "name", ""), only))
			continue;
		buf_printf(b, ", CHILD_SA %s{%s} %s", vici_find_str(c, "name", "?"), vici_find_str(c, "uniqueid", "?"),
			   str_eq(state, "INSTALLED") ? "installed" : state);
		n += str_eq(state, "INSTALLED");
	}
	return n;
}

/* Fill r's IKE SA and its child steps from charon's SA list. False (r->problem set) when the
 * tunnel is not up. */
static bool find_sas(struct vici_client *vc, struct probe_run *r)
{
	struct vici_node **ev = NULL;
	const struct vici_node *sa, *cs;
	size_t n = 0;
	char *err = NULL;
	uint64_t v = 0;

	if (list_sas(vc, r->ike, &ev, &n, &err) != 0) {
		r->problem = xasprintf("cannot list SAs: %s", err);
		free(err);
		return false;
	}
	sa = find_established(ev, n, r->ike);
	if (!sa) {
		r->problem = xasprintf("%s is not up (no established IKE SA): bring it up first (`tunnelctl up %s`)",
				       r->ike, r->ike);
		free_events(ev, n);
		return false;
	}
	snprintf(r->ike_uid, sizeof(r->ike_uid), "%s", vici_find_str(sa, "uniqueid", "?"));
	if (vici_get_u64(sa, "version", &v) == 0)
		r->version = (int)v;
	cs = vici_child(sa, "child-sas");
	for (size_t i = 0; cs && i < cs->n_child && r->n_steps < PROBE_MAX_CHILDREN; i++) {
		const struct vici_node *c = cs->child[i];
		struct probe_step *s = &r->steps[r->n_steps];
		if (!str_eq(vici_find_str(c, "state", ""), "INSTALLED") ||
		    (r->only_child[0] && !str_eq(vici_find_str(c, "name", ""), r->only_child)))
			continue;
		s->child = true;
		snprintf(s->name, sizeof(s->name), "%s", vici_find_str(c, "name", "?"));
		snprintf(s->uid, sizeof(s->uid), "%s", vici_find_str(c, "uniqueid", "?"));
		r->n_steps++;
	}
	if (r->only_child[0] && r->n_steps == 0) {
		r->problem = xasprintf("CHILD_SA %s is not installed: bring it up first (`tunnelctl up %s`)",
				       r->only_child, r->only_child);
		free_events(ev, n);
		return false;
	}
	/* the IKE SA last: its rekey does not change the CHILD_SAs' ids */
	r->steps[r->n_steps].child = false;
	memcpy(r->steps[r->n_steps].name, r->ike, NAMING_MAX);
	memcpy(r->steps[r->n_steps].uid, r->ike_uid, PROBE_UID_MAX);
	r->n_steps++;
	free_events(ev, n);
	return true;
}

/* A log event of this tunnel: fed to the step's doctor; returns what it says. */
static enum ev take_log(struct probe_run *r, struct probe_step *s, const struct vici_node *msg)
{
	char line[DOCTOR_MAX_LINE], stamp[32];
	struct doctor_line l;
	struct doctor_event e;
	time_t now = time(NULL);
	struct tm tm;
	size_t len;

	if (!str_eq(vici_find_str(msg, "ikesa-name", NULL), r->ike) || s->n_lines >= PROBE_MAX_LINES)
		return EV_NONE;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %T", &tm);
	len = vici_log_format(msg, stamp, line, sizeof(line));
	if (doctor_log_parse(line, len, &l) != 0)
		return EV_NONE;
	doctor_classify(s->doc, &l, &e);
	doctor_feed_event(s->doc, 0, ++s->n_lines, &l, &e, line, len);
	if (e.ev == EV_KE_RETRY && r->n_notes < PROBE_MAX_NOTES)
		r->notes[r->n_notes++] = xasprintf("the peer answered INVALID_KE_PAYLOAD (\"%.*s\"): each rekey "
						   "needs an extra round trip; make the DH/PFS groups equal",
						   (int)l.msg_len, l.msg);
	return e.ev;
}

/* Send the rekey of step s and wait for its outcome. Fills s->ok and s->detail. */
static void run_step(struct vici_client *vc, struct probe_run *r, struct probe_step *s, int timeout_ms)
{
	struct probe_target t = { .ike = r->ike, .ike_uid = r->ike_uid, .child_uid = s->child ? s->uid : NULL };
	struct vici_node *reply = NULL;
	struct vici_msg m;
	char *err = NULL, last[DOCTOR_MAX_EVIDENCE_TEXT] = "";
	int64_t deadline;
	bool failing = false;
	int rc;

	/* a doctor per step: a later successful IKE rekey must not hide a failed CHILD_SA rekey */
	s->doc = doctor_new();
	doctor_add_input(s->doc, "probe");
	/* by unique id, so a second SA of the same name is left alone; reauth stays unset */
	vici_msg_init(&m);
	vici_msg_add_str(&m, s->child ? "child-id" : "ike-id", s->uid);
	rc = vici_client_request(vc, "rekey", &m, PROBE_VICI_TIMEOUT_MS, &reply, &err);
	vici_msg_free(&m);
	if (rc != 0 || !str_eq(vici_find_str(reply, "success", ""), "yes")) {
		s->detail = xasprintf("charon refused the rekey: %s",
				      err ? err : vici_find_str(reply, "errmsg", "no reason given"));
		goto out;
	}
	deadline = now_ms() + timeout_ms;
	for (;;) {
		char *name = NULL;
		struct vici_node *msg = NULL;
		int64_t left = deadline - now_ms();
		enum probe_sig sig = PROBE_SIG_NONE;

		if (left <= 0) {
			s->detail = failing ? xasprintf("rekey failed: %s", last)
					    : xasprintf("no outcome within %d s%s%s", timeout_ms / 1000,
							last[0] ? "; charon's last line: " : "", last);
			break;
		}
		rc = vici_client_wait_event(vc, (int)left, &name, &msg, &err);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc != 0) {
			s->detail = xasprintf("lost charon while waiting: %s", err ? err : strerror(-rc));
			break;
		}
		if (str_eq(name, "log")) {
			enum ev ev = take_log(r, s, msg);
			if (ev == EV_REKEY_FAILED || ev == EV_GIVE_UP || ev == EV_CHILD_FAILED ||
			    ev == EV_N_NO_PROP || ev == EV_N_INVALID_KE || ev == EV_N_OTHER)
				snprintf(last, sizeof(last), "%s", vici_find_str(msg, "msg", ""));
			if (ev == EV_REKEY_FAILED || ev == EV_GIVE_UP) {
				s->detail = xasprintf("rekey failed: %s", last);
				free(name);
				vici_node_free(msg);
				break;
			}
			/* a CHILD_SA that failed: charon says "rekeying failed" next; wait a moment */
			if (ev == EV_CHILD_FAILED && !failing) {
				failing = true;
				if (deadline - now_ms() > PROBE_TRAIL_MS)
					deadline = now_ms() + PROBE_TRAIL_MS;
			}
		} else {
			sig = probe_event(&t, name, msg, s->new_uid, sizeof(s->new_uid));
		}
		free(name);
		vici_node_free(msg);
		if (sig == PROBE_SIG_REKEYED) {
			s->ok = true;
			s->detail = s->child ? xasprintf("CHILD_SA %s{%s} rekeyed: %s{%s}", s->name, s->uid, s->name, s->new_uid)
					     : xasprintf("IKE SA %s[%s] %s: %s[%s]", s->name, s->uid,
							 r->version == 1 ? "re-authenticated" : "rekeyed", s->name, s->new_uid);
			if (!s->child)
				snprintf(r->ike_uid, sizeof(r->ike_uid), "%s", s->new_uid);
			break;
		}
		if (sig == PROBE_SIG_DOWN) {
			s->detail = xasprintf("%s went down during the rekey%s%s", s->child ? "the CHILD_SA" : "the IKE SA",
					      last[0] ? ": " : "", last);
			break;
		}
	}
out:
	free(err);
	vici_node_free(reply);
}

/* After the rekeys: is the tunnel still up? Fills r->still_up and r->after. */
static void check_still_up(struct vici_client *vc, struct probe_run *r)
{
	struct vici_node **ev = NULL;
	const struct vici_node *sa;
	struct buf b = { 0 };
	size_t n = 0, want = 0;
	char *err = NULL;

	for (size_t i = 0; i < r->n_steps; i++)
		want += r->steps[i].child;
	if (list_sas(vc, r->ike, &ev, &n, &err) != 0) {
		r->after = xasprintf("cannot list SAs: %s", err);
		free(err);
		return;
	}
	sa = find_established(ev, n, r->ike);
	if (sa) {
		buf_printf(&b, "IKE SA %s[%s] established", r->ike, vici_find_str(sa, "uniqueid", "?"));
		r->still_up = installed_children(sa, r->only_child, &b) >= want;
		r->after = buf_steal(&b);
	} else {
		r->after = xasprintf("IKE SA %s is not established any more", r->ike);
	}
	free_events(ev, n);
}

/* Probe one IKE SA: find it, rekey its children and itself, check it is still up, let the
 * doctor judge the log lines when a rekey failed. True when everything succeeded. */
static bool probe_one(struct vici_client *vc, struct probe_run *r, const struct probe_opts *o)
{
	bool ok = true;

	if (!find_sas(vc, r))
		return false;
	if (!o->json) {
		printf("%s: probing IKE SA %s[%s] (IKEv%d), %zu CHILD_SA%s\n", r->ike, r->ike, r->ike_uid,
		       r->version ? r->version : 2, r->n_steps - 1, r->n_steps == 2 ? "" : "s");
		if (r->n_steps > 1)
			printf("%s: %s\n", r->ike, probe_traffic(r->version));
		fflush(stdout);
	}
	for (size_t i = 0; i < r->n_steps; i++) {
		struct probe_step *s = &r->steps[i];
		run_step(vc, r, s, o->timeout_ms);
		ok &= s->ok;
		if (!s->ok) {
			const struct doctor_verdict *v = NULL;
			size_t nv = doctor_finish(s->doc, &v);
			for (size_t k = 0; k < nv && !s->verdict; k++)
				if (str_eq(v[k].tunnel, r->ike) && v[k].cls != DOCTOR_HEALTHY)
					s->verdict = &v[k];
			if (!r->verdict)
				r->verdict = s->verdict;
		}
		if (!o->json) {
			printf("%s: %s %s\n", r->ike, r->steps[i].ok ? "ok:" : "FAILED:", r->steps[i].detail);
			fflush(stdout);
		}
	}
	check_still_up(vc, r);
	ok &= r->still_up;
	/* an IKE SA without a CHILD_SA carries no traffic: nothing says the tunnel works */
	if (r->n_steps == 1 && !r->only_child[0])
		ok = false;
	r->ok = ok;
	return ok;
}

static void print_text(const struct probe_run *r, bool ok)
{
	const struct doctor_verdict *v = r->verdict;

	if (r->problem) {
		printf("%s: cannot probe: %s\n", r->ike, r->problem);
		return;
	}
	for (size_t i = 0; i < r->n_notes; i++)
		printf("%s: note: %s\n", r->ike, r->notes[i]);
	printf("%s: %s: %s\n", r->ike, r->still_up ? "still up" : "NOT UP after the probe", r->after ? r->after : "?");
	if (v) {
		printf("%s: doctor: %s [%s]\n  %s\n", r->ike, doctor_class_words[v->cls], doctor_class_names[v->cls],
		       v->summary);
		for (size_t k = 0; k < v->n_ev; k++)
			printf("    %s\n", v->ev[k].text);
		if (v->fix && v->fix[0])
			printf("  fix: %s\n", v->fix);
	} else if (!ok && r->n_steps > 1) {
		printf("%s: the doctor finds no cause in the log lines of the probe; `tunnelctl doctor --live` "
		       "and `tunnelctl logs %s` show more\n", r->ike, r->ike);
	}
	if (ok)
		printf("%s: ok: the rekeys succeeded; the scheduled ones will too\n", r->ike);
	else if (r->n_steps == 1)
		printf("%s: no CHILD_SA is installed, so no traffic passes and no CHILD_SA rekey could be tried: "
		       "bring the phase 2 up (`tunnelctl up %s`; `tunnelctl doctor --live` says why it is down), "
		       "then probe again\n", r->ike, r->ike);
	else
		printf("%s: the next scheduled rekey will meet this problem\n", r->ike);
	fflush(stdout);
}

static json_t *to_json(const struct probe_run *r, bool ok)
{
	json_t *o = json_object(), *steps = json_array(), *notes = json_array();
	const struct doctor_verdict *v = r->verdict;

	json_object_set_new(o, "tunnel", json_string(r->ike));
	json_object_set_new(o, "ok", json_boolean(ok));
	json_object_set_new(o, "problem", json_str_or_null(r->problem));
	json_object_set_new(o, "ike_version", r->version ? json_integer(r->version) : json_null());
	json_object_set_new(o, "traffic", r->problem ? json_null() : json_string(probe_traffic(r->version)));
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct probe_step *s = &r->steps[i];
		json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:o, s:b, s:o}", "rekey",
						       s->child ? "child" : "ike", "name", s->name, "before", s->uid,
						       "after", s->ok ? json_string(s->new_uid) : json_null(), "ok",
						       s->ok, "detail", json_str_or_null(s->detail)));
	}
	json_object_set_new(o, "steps", steps);
	for (size_t i = 0; i < r->n_notes; i++)
		json_array_append_new(notes, json_string(r->notes[i]));
	json_object_set_new(o, "notes", notes);
	json_object_set_new(o, "still_up", r->problem ? json_null() : json_boolean(r->still_up));
	json_object_set_new(o, "after", json_str_or_null(r->after));
	if (v) {
		json_t *ev = json_array();
		for (size_t k = 0; k < v->n_ev; k++)
			json_array_append_new(ev, json_string(v->ev[k].text));
		json_object_set_new(o, "verdict", json_pack("{s:s, s:s, s:o, s:o, s:o}", "class",
							    doctor_class_names[v->cls], "words",
							    doctor_class_words[v->cls], "summary",
							    json_str_or_null(v->summary), "evidence", ev, "fix",
							    v->fix && v->fix[0] ? json_string(v->fix) : json_null()));
	} else {
		json_object_set_new(o, "verdict", json_null());
	}
	return o;
}

/* The IKE names to probe: NAME through the tunnel file, or every established IKE SA. */
static int targets(const struct tc_ctx *ctx, struct vici_client *vc, const char *name, struct probe_run **runs,
		   size_t *n)
{
	if (name) {
		struct tunnel_file *tf = cmd_load_tunnels(ctx);
		struct naming_target t;
		int r;

		if (!tf)
			return TC_EXIT_USAGE;
		r = naming_resolve(tf, name, &t);
		if (r != 0) {
			cmd_err("probe", r == -EINVAL ? "'%s' is the description of more than one phase 1; use conN"
						      : "no tunnel '%s' in %s (use conN, conN_M, a phase 1 description or N)",
				name, ctx->conf);
			tunnel_file_free(tf);
			return TC_EXIT_USAGE;
		}
		*runs = xcalloc(1, sizeof(**runs));
		snprintf((*runs)[0].ike, NAMING_MAX, "%s", t.ike);
		if (t.p2)
			snprintf((*runs)[0].only_child, NAMING_MAX, "%s", t.child);
		*n = 1;
		tunnel_file_free(tf);
		return TC_EXIT_OK;
	}
	struct vici_node **ev = NULL;
	size_t ne = 0;
	char *err = NULL;

	if (list_sas(vc, NULL, &ev, &ne, &err) != 0) {
		cmd_err("probe", "cannot list SAs: %s", err);
		free(err);
		return TC_EXIT_FAIL;
	}
	*runs = xcalloc(ne + 1, sizeof(**runs));
	for (size_t i = 0; i < ne; i++) {
		for (size_t k = 0; k < ev[i]->n_child; k++) {
			const struct vici_node *s = ev[i]->child[k];
			bool seen = false;
			if (s->type != VICI_NODE_SECTION || !str_eq(vici_find_str(s, "state", ""), "ESTABLISHED"))
				continue;
			for (size_t j = 0; j < *n; j++)
				seen |= str_eq((*runs)[j].ike, s->name);
			if (!seen && strlen(s->name) < NAMING_MAX)
				snprintf((*runs)[(*n)++].ike, NAMING_MAX, "%s", s->name);
		}
	}
	free_events(ev, ne);
	return TC_EXIT_OK;
}

int cmd_probe(int argc, char **argv, const struct tc_ctx *ctx)
{
	static const char *const events[] = { "ike-rekey", "child-rekey", "ike-updown", "child-updown", "log" };
	struct probe_args args = { .timeout = PROBE_TIMEOUT_S };
	struct probe_opts o;
	struct probe_run *runs = NULL;
	struct vici_client *vc = NULL;
	size_t n = 0, n_ok = 0;
	bool all;
	char *err = NULL;
	int c, rc;

	c = cmd_parse(&cmd_probe_spec, argc, argv, &args);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	all = args.all;
	o = (struct probe_opts){ .json = args.json, .timeout_ms = (int)args.timeout * 1000 };
	if (argc - c != (all ? 0 : 1)) {
		cmd_err("probe", all ? "--all takes no NAME" : "give one NAME (conN, conN_M, a description, N) or --all; see --help");
		return TC_EXIT_USAGE;
	}
	/* the events first: nothing of a rekey may pass unseen */
	rc = vici_client_connect(ctx->vici, PROBE_VICI_TIMEOUT_MS, &vc, &err);
	for (size_t i = 0; rc == 0 && i < sizeof(events) / sizeof(events[0]); i++)
		rc = vici_client_register(vc, events[i], PROBE_VICI_TIMEOUT_MS, &err);
	if (rc != 0) {
		/* a bad NAME is still a usage error when charon is down */
		if (!all && (rc = targets(ctx, NULL, argv[c], &runs, &n)) != TC_EXIT_OK)
			goto out;
		cmd_err("probe", "%s", err);
		rc = TC_EXIT_FAIL;
		goto out;
	}
	rc = targets(ctx, vc, all ? NULL : argv[c], &runs, &n);
	if (rc != TC_EXIT_OK)
		goto out;
	if (all && n == 0 && !o.json)
		printf("no IKE SA is up: nothing to probe\n");
	for (size_t i = 0; i < n; i++) {
		n_ok += probe_one(vc, &runs[i], &o);
		if (!o.json)
			print_text(&runs[i], runs[i].ok);
	}
	if (o.json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, to_json(&runs[i], runs[i].ok));
		json_write(stdout, json_pack("{s:o}", "tunnels", a));
	}
	rc = n_ok == n ? TC_EXIT_OK : TC_EXIT_FAIL;
out:
	for (size_t i = 0; i < n; i++)
		run_free(&runs[i]);
	free(runs);
	free(err);
	vici_client_close(vc);
	return rc;
}
