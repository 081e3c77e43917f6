/* cmd_bundle.c - `tunnelctl bundle [-o FILE]`: one redacted tar.gz for a support request:
 * tunnel file, generated configs, status, SAs, policies, routes, firewall, charon's log,
 * doctor report, versions and plugins, history, and a manifest. Secrets never enter it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "bundle.h"
#include "cmd.h"
#include "compile.h"
#include "doctor_log.h"
#include "doctor_rules.h"
#include "history.h"
#include "json.h"
#include "nft.h"
#include "state.h"
#include "status.h"
#include "tarball.h"
#include "trace.h"
#include "tunnel.h"
#include "vici_client.h"
#include "xfrm_nl.h"

#define BUNDLE_VICI_TIMEOUT_MS 5000
#define BUNDLE_NL_TIMEOUT_MS 3000
#define BUNDLE_SEL_TEXT 128		/* one selector as text: an IPv6 range with ports fits */
#define BUNDLE_LOG_TAIL (2u * 1024u * 1024u)	/* bytes of charon's log kept, from its end */
#define BUNDLE_MAX_MEMBERS 96
#define BUNDLE_MAX_FILE (8u * 1024u * 1024u)	/* a config or history file read whole */

struct bundle_args {
	const char *output;
	bool json;
};

static const struct opt_def bundle_opts[] = {
	{ .name = "output", .short_name = 'o', OPT_STRING(struct bundle_args, output, "FILE"),
	  .help = "write the archive to FILE",
	  .more = "(default: tunnelctl-bundle-HOST-TIME.tar.gz in the current directory)" },
	{ .name = "json", OPT_FLAG(struct bundle_args, json), .help = "print the manifest as JSON instead of text" },
	{ .name = NULL },
};

const struct opt_spec cmd_bundle_spec = {
	.verb = "bundle",
	.usage = "usage: tunnelctl bundle [-o FILE] [--json]\n",
	.about =
		"Write one archive (tar.gz) for a support request, with every secret removed: the tunnel\n"
		"file (PSK values <hidden>), the swanctl.conf it compiles to (secrets <hidden>) and whether\n"
		"it is what was applied, the strongswan.conf fragment, `status --json`, charon's SAs,\n"
		"connections and policies (VICI), the kernel's XFRM policies and routes, the nftables\n"
		"ruleset, the end of charon's log (without its key dumps), the doctor's report on that log,\n"
		"versions and loaded plugins, each tunnel's history, and MANIFEST (what is inside, what\n"
		"could not be collected and why). As a last step every PSK of the tunnel file (as written\n"
		"and base64-encoded) is searched for in every file and replaced by <hidden>.\n"
		"\n"
		"What cannot be collected (charon not running, no log yet) is listed in MANIFEST and on\n"
		"stderr; the archive is still written. It is created 0600.\n",
	.opts = bundle_opts,
	.tail =
		"exit status: 0 the archive was written, 1 it could not be written, 2 usage error\n"
		"\n"
		"examples:\n"
		"  tunnelctl bundle\n"
		"  tunnelctl bundle -o /tmp/support.tar.gz\n"
		"  tar -tzf /tmp/support.tar.gz\n",
};

struct member {
	char name[48];
	const char *what;
	struct buf data;
	size_t redacted;	/* values or occurrences replaced by <hidden> */
};

struct bundle {
	struct member m[BUNDLE_MAX_MEMBERS];
	size_t n;
	struct strv missing;	/* "NAME: reason" */
	struct strv secrets;	/* to scrub from every member; wiped on free */
};

static struct member *add(struct bundle *b, const char *name, const char *what)
{
	struct member *m;

	if (b->n == BUNDLE_MAX_MEMBERS)
		return NULL;
	m = &b->m[b->n++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->what = what;
	return m;
}

static void add_text(struct bundle *b, const char *name, const char *what, const char *text)
{
	struct member *m = add(b, name, what);
	if (m)
		buf_adds(&m->data, text);
}

/* v (taken) as indented JSON with a final newline. */
static void add_json(struct bundle *b, const char *name, const char *what, json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2));
	struct member *m = s ? add(b, name, what) : NULL;

	if (m) {
		buf_adds(&m->data, s);
		buf_addc(&m->data, '\n');
	}
	free(s);
	json_decref(v);
}

static void missing(struct bundle *b, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void missing(struct bundle *b, const char *name, const char *fmt, ...)
{
	struct buf t = { 0 };
	va_list ap;

	buf_printf(&t, "%s: ", name);
	va_start(ap, fmt);
	buf_vprintf(&t, fmt, ap);
	va_end(ap);
	strv_push(&b->missing, buf_steal(&t));
}

/* Each PSK as written and as swanctl.conf carries it (0s + base64). */
static void note_secrets(struct bundle *b, const struct tunnel_file *tf)
{
	for (size_t i = 0; i < tf->n_p1; i++) {
		const char *psk = tf->p1[i].psk;
		struct buf b64 = { 0 };
		if (!psk || !*psk)
			continue;
		strv_push(&b->secrets, xstrdup(psk));
		base64_encode(&b64, (const unsigned char *)psk, strlen(psk));
		strv_push(&b->secrets, buf_steal(&b64));
	}
}

/* The tunnel file with its secret values replaced, the compiled swanctl.conf (secrets
 * hidden) and whether the generated file on disk is what it compiles to. */
static void collect_config(struct bundle *b, const struct tc_ctx *ctx, const struct tunnel_file *tf,
			   size_t n_errors)
{
	struct buf raw = { 0 }, out = { 0 }, disk = { 0 }, full = { 0 };
	struct compile_opts hide = { .show_secrets = false }, show = { .show_secrets = true };
	char *path;
	struct member *m;
	int rc;

	if (!tf) {
		missing(b, "tunnels.conf", "%s does not load (%zu error%s: `tunnelctl check`): left out, since its "
			"secrets cannot be found for sure", ctx->conf, n_errors, n_errors == 1 ? "" : "s");
		return;
	}
	note_secrets(b, tf);
	/* the tunnel file, then each file it includes (once, however often it is included) */
	for (size_t f = 0; f < tf->tree->n_files; f++) {
		const char *file = tf->tree->files[f], *base = strrchr(file, '/');
		char name[sizeof(b->m[0].name)];
		bool seen = false;

		for (size_t k = 0; k < f; k++)
			seen |= str_eq(tf->tree->files[k], file);
		if (seen)
			continue;
		if (f == 0)
			snprintf(name, sizeof(name), "tunnels.conf");
		else
			snprintf(name, sizeof(name), "included/%03u-%.24s", (unsigned)(f % 1000), base ? base + 1 : file);
		rc = file_read_all(file, BUNDLE_MAX_FILE, &raw);
		if (rc != 0) {
			missing(b, name, "%s: %s", file, file_read_strerror(rc));
			continue;
		}
		m = add(b, name, f == 0 ? "the tunnel file, secret values <hidden>"
					: "a file the tunnel file includes, secret values <hidden>");
		if (m)
			m->redacted = bundle_redact_conf(raw.data, raw.len, tf->tree, file, &m->data);
		buf_free_secret(&raw);
	}
	buf_free(&out);

	m = add(b, "swanctl.conf", "what the tunnel file compiles to, secrets <hidden>");
	if (m)
		compile_swanctl(&m->data, tf, &hide);
	/* compare with the applied file: the full text holds the secrets, wiped right after */
	compile_swanctl(&full, tf, &show);
	path = xasprintf("%s/%s", ctx->out_dir, COMPILE_SWANCTL_PATH);
	rc = file_read_all(path, BUNDLE_MAX_FILE, &disk);
	if (rc == 0)
		add_text(b, "applied.txt", "whether the generated swanctl.conf on disk is what the tunnel file compiles to",
			 disk.len == full.len && memcmp(disk.data, full.data, disk.len) == 0
				 ? "the generated swanctl.conf on disk is what the tunnel file compiles to\n"
				 : "the generated swanctl.conf on disk DIFFERS from what the tunnel file compiles to: "
				   "the tunnel file changed since the last `tunnelctl apply`\n");
	else
		missing(b, "applied.txt", "%s: %s", path, file_read_strerror(rc));
	buf_free_secret(&disk);
	buf_free_secret(&full);
	free(path);

	path = xasprintf("%s/%s", ctx->out_dir, COMPILE_STRONGSWAN_PATH);
	m = add(b, "strongswan.conf", "the strongswan.conf fragment charon reads (logging, retransmits)");
	if (m && file_read_all(path, BUNDLE_MAX_FILE, &m->data) != 0) {
		buf_free(&m->data);
		m->what = "the strongswan.conf fragment as the tunnel file compiles it (none on disk)";
		compile_strongswan(&m->data, tf, NULL);
	}
	free(path);
}

/* One VICI command's answer (a streamed list, or a single reply) as JSON. */
static void add_vici(struct bundle *b, struct vici_client *vc, const char *cmd, const struct vici_msg *req,
		     const char *event, const char *name, const char *what)
{
	struct vici_node **ev = NULL, *reply = NULL;
	size_t n = 0;
	char *err = NULL;
	json_t *a;
	int rc;

	if (event) {
		rc = vici_client_stream(vc, cmd, req, event, BUNDLE_VICI_TIMEOUT_MS, &ev, &n, &err);
		a = json_array();
		for (size_t i = 0; rc == 0 && i < n; i++)
			json_array_append_new(a, bundle_vici_json(ev[i]));
		vici_nodes_free(ev, n);
	} else {
		rc = vici_client_request(vc, cmd, req, BUNDLE_VICI_TIMEOUT_MS, &reply, &err);
		a = rc == 0 ? bundle_vici_json(reply) : NULL;
		vici_node_free(reply);
	}
	if (rc == 0)
		add_json(b, name, what, a);
	else
		missing(b, name, "VICI %s: %s", cmd, err ? err : strerror(-rc));
	if (rc != 0)
		json_decref(a);
	free(err);
}

/* What charon says: status, SAs, connections, policies, version, plugins. */
static void collect_charon(struct bundle *b, const struct tc_ctx *ctx, const struct tunnel_file *tf)
{
	static const struct status_filter all = { NULL, NULL };
	struct vici_client *vc = NULL;
	struct vici_msg pols;
	char *err = NULL;
	json_t *st;

	if (vici_client_connect(ctx->vici, BUNDLE_VICI_TIMEOUT_MS, &vc, &err) != 0) {
		missing(b, "status.json, sas.json, conns.json, policies.json, version.json, stats.json", "%s", err);
		free(err);
		return;
	}
	st = status_collect(vc, tf, ctx->state_dir, &all, &err);
	if (st)
		add_json(b, "status.json", "`tunnelctl status --json`", st);
	else
		missing(b, "status.json", "%s", err);
	free(err);
	add_vici(b, vc, "list-sas", NULL, "list-sa", "sas.json", "charon's IKE and CHILD SAs (VICI list-sas; no keys)");
	add_vici(b, vc, "list-conns", NULL, "list-conn", "conns.json", "connections loaded in charon (VICI list-conns)");
	vici_msg_init(&pols);
	vici_msg_add_str(&pols, "trap", "yes");
	vici_msg_add_str(&pols, "pass", "yes");
	vici_msg_add_str(&pols, "drop", "yes");
	add_vici(b, vc, "list-policies", &pols, "list-policy", "policies.json",
		 "charon's trap, pass and drop policies (VICI list-policies)");
	vici_msg_free(&pols);
	add_vici(b, vc, "version", NULL, NULL, "version.json", "charon's version and the system (VICI version)");
	add_vici(b, vc, "stats", NULL, NULL, "stats.json", "charon's counters, workers and loaded plugins (VICI stats)");
	vici_client_close(vc);
}

/* The kernel's XFRM policies in this network namespace (netlink; a policy holds no key). */
static void collect_xfrm(struct bundle *b)
{
	struct trace_policies ps = { 0 };
	char err[XFRM_NL_ERR_MAX] = "";
	struct member *m;

	if (xfrm_nl_dump_policies(BUNDLE_NL_TIMEOUT_MS, &ps, err) != 0) {
		missing(b, "xfrm-policies.txt", "netlink: %s", err);
		return;
	}
	m = add(b, "xfrm-policies.txt", "the kernel's XFRM policies (netlink), main type, without marks");
	if (m) {
		buf_printf(&m->data, "# %zu policies (kernel-libipsec keeps its policies in charon: policies.json)\n", ps.n);
		for (size_t i = 0; i < ps.n; i++) {
			const struct trace_policy *p = &ps.v[i];
			char src[BUNDLE_SEL_TEXT], dst[BUNDLE_SEL_TEXT];
			buf_printf(&m->data, "%s === %s dir %s action %s priority %u index %u reqid %u\n",
				   trace_sel_format(&p->src, src, sizeof(src)), trace_sel_format(&p->dst, dst, sizeof(dst)),
				   trace_dir_names[p->dir], trace_action_names[p->action], p->priority, p->index, p->reqid);
		}
	}
	trace_policies_free(&ps);
}

/* The kernel's XFRM states (keys never read) and routes, each dump as text lines. */
static void collect_kernel_text(struct bundle *b, const char *name, const char *what,
				int (*dump)(int, struct xfrm_nl_text *, char *), const char *none)
{
	struct xfrm_nl_text t = { 0 };
	char err[XFRM_NL_ERR_MAX] = "";
	struct member *m;

	if (dump(BUNDLE_NL_TIMEOUT_MS, &t, err) != 0) {
		missing(b, name, "netlink: %s", err);
	} else if ((m = add(b, name, what))) {
		buf_printf(&m->data, "# %zu %s\n", t.n, none);
		buf_add(&m->data, t.text.data, t.text.len);
	}
	buf_free(&t.text);
}

static void collect_nft(struct bundle *b)
{
	struct buf out = { 0 }, err = { 0 };
	struct member *m;

	if (nft_list("ruleset", false, &out, &err) != 0) {
		missing(b, "nftables.txt", "libnftables: %.*s", (int)err.len, err.data ? err.data : "");
	} else if ((m = add(b, "nftables.txt", "the whole nftables ruleset of this network namespace (libnftables)"))) {
		m->data = out;
		out = (struct buf){ 0 };
	}
	buf_free(&out);
	buf_free(&err);
}

/* The end of charon's log (whole lines), without its dumps; and the doctor's report on it. */
static void collect_log(struct bundle *b, const struct tc_ctx *ctx)
{
	char *path = cmd_charon_log(ctx);
	struct buf tail = { 0 }, clean = { 0 }, rep = { 0 };
	struct member *m;
	struct stat st;
	size_t start = 0;
	ssize_t r;
	off_t from;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		missing(b, "charon.log, doctor.txt", "%s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	from = st.st_size > (off_t)BUNDLE_LOG_TAIL ? st.st_size - (off_t)BUNDLE_LOG_TAIL : 0;
	buf_reserve(&tail, BUNDLE_LOG_TAIL);
	while (tail.len < BUNDLE_LOG_TAIL &&
	       (r = pread(fd, tail.data + tail.len, BUNDLE_LOG_TAIL - tail.len, from + (off_t)tail.len)) > 0)
		tail.len += (size_t)r;
	/* cut in the middle of a line: start at the next one */
	if (from > 0) {
		const char *nl = memchr(tail.data, '\n', tail.len);
		start = nl ? (size_t)(nl - tail.data) + 1 : tail.len;
	}
	m = add(b, "charon.log", "the end of charon's log, lines of key and message dumps left out");
	if (!m)
		goto out;
	m->redacted = bundle_log_clean(tail.data + start, tail.len - start, &m->data);

	/* the doctor on the cleaned lines: its evidence is lines of charon.log */
	{
		struct doctor *d = doctor_new();
		const struct doctor_verdict *v = NULL;
		unsigned in = doctor_add_input(d, "charon.log");
		unsigned long lineno = 0;
		size_t pos = 0, nv;

		buf_add(&clean, m->data.data, m->data.len);
		while (pos < clean.len) {
			const char *nl = memchr(clean.data + pos, '\n', clean.len - pos);
			size_t end = nl ? (size_t)(nl - clean.data) : clean.len;
			struct doctor_line l;
			lineno++;
			if (doctor_log_parse(clean.data + pos, end - pos, &l) == 0)
				doctor_feed(d, in, lineno, &l, clean.data + pos, end - pos);
			pos = end + 1;
		}
		nv = doctor_finish(d, &v);
		buf_printf(&rep, "# tunnelctl doctor on charon.log of this bundle: %zu verdict%s\n", nv, nv == 1 ? "" : "s");
		for (size_t i = 0; i < nv; i++) {
			buf_printf(&rep, "\n%s: %s [%s] (%s)\n  %s\n", v[i].tunnel, doctor_class_words[v[i].cls],
				   doctor_class_names[v[i].cls], v[i].side, v[i].summary ? v[i].summary : "");
			for (size_t k = 0; k < v[i].n_ev; k++)
				buf_printf(&rep, "    charon.log:%lu: %s\n", v[i].ev[k].line, v[i].ev[k].text);
			if (v[i].fix && v[i].fix[0])
				buf_printf(&rep, "  fix: %s\n", v[i].fix);
		}
		doctor_free(d);
		if ((m = add(b, "doctor.txt", "the doctor's verdicts on charon.log"))) {
			m->data = rep;
			rep = (struct buf){ 0 };
		}
	}
out:
	if (fd >= 0)
		close(fd);
	buf_free(&tail);
	buf_free(&clean);
	buf_free(&rep);
	free(path);
}

/* Each tunnel's timeline files as the daemon keeps them, and its availability. */
static void collect_history(struct bundle *b, const struct tc_ctx *ctx)
{
	char **names = NULL;
	size_t n = 0;
	json_t *sum = json_object();
	int rc = state_history_names(ctx->state_dir, &names, &n);

	if (rc != 0 && rc != -ENOENT) {
		missing(b, "history/", "%s/history: %s", ctx->state_dir, strerror(-rc));
		json_decref(sum);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		static const char *const suffix[] = { ".log.1", ".log" };
		struct history h = { 0 };
		for (size_t k = 0; k < 2; k++) {
			char *path = xasprintf("%s/history/%s%s", ctx->state_dir, names[i], suffix[k]);
			char *name = xasprintf("history/%s%s", names[i], suffix[k]);
			struct member *m;
			struct buf raw = { 0 };
			if (file_read_all(path, BUNDLE_MAX_FILE, &raw) == 0 &&
			    (m = add(b, name, "a tunnel's timeline as the daemon keeps it (docs/commands.md, history)"))) {
				m->data = raw;
				raw = (struct buf){ 0 };
			}
			buf_free(&raw);
			free(path);
			free(name);
		}
		if (state_history_load(ctx->state_dir, names[i], &h) == 0)
			json_object_set_new(sum, names[i], history_summary_json(&h, now_ms()));
		history_free(&h);
		free(names[i]);
	}
	free(names);
	add_json(b, "history.json", "availability per tunnel over the last day and week", sum);
}

static void bundle_free(struct bundle *b)
{
	for (size_t i = 0; i < b->n; i++)
		buf_free(&b->m[i].data);
	strv_free(&b->missing);
	for (size_t i = 0; i < b->secrets.n; i++)
		secret_wipe(b->secrets.v[i], strlen(b->secrets.v[i]));
	strv_free(&b->secrets);
}

static void manifest_text(const struct bundle *b, const char *dir, const char *host, const char *when,
			  struct buf *o)
{
	buf_printf(o, "tunnelctl %s support bundle of %s, %s\nDIR: %s\n\n", TUNNELCTL_VERSION, host, when, dir);
	buf_adds(o, "Secrets removed: PSK values of the tunnel file, swanctl.conf's secrets, charon's key\n"
		    "dumps; then every PSK (as written and base64) replaced by <hidden> in every file.\n\n");
	buf_printf(o, "%-20s %10s  %s\n", "file (in DIR/)", "bytes", "what (N): N values or lines taken out");
	for (size_t i = 0; i < b->n; i++) {
		buf_printf(o, "%-20s %10zu  %s", b->m[i].name, b->m[i].data.len, b->m[i].what);
		if (b->m[i].redacted)
			buf_printf(o, " (%zu)", b->m[i].redacted);
		buf_addc(o, '\n');
	}
	if (b->missing.n)
		buf_adds(o, "\nnot collected:\n");
	for (size_t i = 0; i < b->missing.n; i++)
		buf_printf(o, "  %s\n", b->missing.v[i]);
}

static json_t *manifest_json(const struct bundle *b, const char *file, const char *dir)
{
	json_t *files = json_array(), *miss = json_array();

	for (size_t i = 0; i < b->n; i++)
		json_array_append_new(files, json_pack("{s:s, s:I, s:s, s:I}", "name", b->m[i].name, "bytes",
						       (json_int_t)b->m[i].data.len, "what", b->m[i].what, "hidden",
						       (json_int_t)b->m[i].redacted));
	for (size_t i = 0; i < b->missing.n; i++)
		json_array_append_new(miss, json_string(b->missing.v[i]));
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "file", file, "dir", dir, "version", TUNNELCTL_VERSION, "files", files,
			 "not_collected", miss);
}

int cmd_bundle(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct bundle_args args = { .json = false };
	struct bundle *b;
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf;
	struct tarball t = { 0 };
	struct buf gz = { 0 }, man = { 0 };
	char host[64] = "host", when[32], stamp[32], dir[64], *file = NULL;
	const char *out;
	time_t now = time(NULL);
	struct tm tm;
	bool json;
	int c, rc;

	c = cmd_parse(&cmd_bundle_spec, argc, argv, &args);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	out = args.output;
	json = args.json;
	b = xcalloc(1, sizeof(*b));
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (!(*p == '-' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			*p = '_';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(dir, sizeof(dir), "tunnelctl-bundle-%s", stamp);
	file = out ? xstrdup(out) : xasprintf("tunnelctl-bundle-%s-%s.tar.gz", host, stamp);

	/* collect: each part on its own, a failure is noted and the rest goes on */
	tf = tunnel_load(ctx->conf, &errs);
	collect_config(b, ctx, tf, errs.n_errors);
	collect_charon(b, ctx, tf);
	collect_xfrm(b);
	collect_kernel_text(b, "xfrm-states.txt", "the kernel's XFRM states (netlink): SPIs, algorithms, counters; no keys",
			    xfrm_nl_dump_states, "states (kernel-libipsec keeps its SAs in charon: sas.json)");
	collect_kernel_text(b, "routes.txt", "every route of every table, IPv4 and IPv6 (netlink; charon's in table 220)",
			    xfrm_nl_dump_routes, "routes");
	collect_nft(b);
	collect_log(b, ctx);
	collect_history(b, ctx);
	tunnel_file_free(tf);
	tc_errors_free(&errs);

	/* the last line of defence: no PSK in any form we know of, anywhere */
	for (size_t i = 0; i < b->n; i++)
		b->m[i].redacted += bundle_scrub(&b->m[i].data, b->secrets.v, b->secrets.n);

	manifest_text(b, dir, host, when, &man);
	{
		char *name = xasprintf("%s/MANIFEST", dir);
		tarball_add(&t, name, man.data, man.len, (int64_t)now);
		free(name);
	}
	for (size_t i = 0; i < b->n; i++) {
		char *name = xasprintf("%s/%s", dir, b->m[i].name);
		if (tarball_add(&t, name, b->m[i].data.data, b->m[i].data.len, (int64_t)now) != 0)
			cmd_err("bundle", "%s: name too long for the archive, left out", name);
		free(name);
	}
	rc = tarball_finish(&t, &gz);
	if (rc == 0)
		rc = file_write_atomic(file, gz.data, gz.len, 0600);
	if (rc != 0) {
		cmd_err("bundle", "cannot write %s: %s", file, strerror(-rc));
		rc = TC_EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < b->missing.n; i++)
		cmd_err("bundle", "not collected: %s", b->missing.v[i]);
	if (json)
		json_write(stdout, manifest_json(b, file, dir));
	else
		printf("%s%s: %zu files, %zu bytes\n", man.data, file, b->n + 1, gz.len);
	rc = TC_EXIT_OK;
out:
	buf_free(&gz);
	buf_free(&man);
	bundle_free(b);
	free(b);
	free(file);
	return rc;
}
