/* apply_run.c - carry out `apply` against the files and charon: compile, plan, write files
 * atomically, load over VICI, roll back on failure. Used by `tunnelctl apply` and the daemon. */
#include "apply.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "compile.h"
#include "naming.h"
#include "nft.h"
#include "state.h"
#include "swanctl_msg.h"
#include "tunnel.h"
#include "vici.h"
#include "vici_client.h"

#define APPLY_VICI_TIMEOUT_MS 30000	/* one VICI command; load-conn is fast, terminate may wait */
#define APPLY_TERMINATE_TIMEOUT_MS 5000	/* a removed tunnel's SA: DELETE sent, then forced */

/* One generated file: its path, what was there before, what we write. */
struct gen_file {
	char *path;
	struct buf old;		/* previous content */
	bool had_old;		/* the file existed */
	struct buf new;		/* content to write */
};

/* Everything one apply run holds; freed by apply_ctx_free. */
struct apply_ctx {
	const struct tc_ctx *tc;
	const struct tunnel_file *tf;
	struct gen_file swanctl, fragment;
	struct conf_tree *old_tree, *new_tree;
	struct vici_client *vc;
	char **loaded;
	size_t n_loaded;
	char **shared;		/* shared-key ids charon has (get-shared) */
	size_t n_shared;
	struct apply_plan plan;
	size_t done;		/* plan entries carried out, for rollback */
	size_t secrets_done;	/* sections of the new secrets section loaded */
	bool files_written;
	struct buf err;		/* the first failure, for the message */
	struct apply_result *res;	/* rollback and settings problems are reported here */
};

static void gen_file_free(struct gen_file *g)
{
	free(g->path);
	buf_free_secret(&g->old);
	buf_free_secret(&g->new);
}

static void apply_ctx_free(struct apply_ctx *a)
{
	gen_file_free(&a->swanctl);
	gen_file_free(&a->fragment);
	conf_tree_free(a->old_tree);
	conf_tree_free(a->new_tree);
	vici_client_close(a->vc);
	for (size_t i = 0; i < a->n_loaded; i++)
		free(a->loaded[i]);
	free(a->loaded);
	for (size_t i = 0; i < a->n_shared; i++)
		free(a->shared[i]);
	free(a->shared);
	apply_plan_free(&a->plan);
	buf_free(&a->err);
}

static void fail(struct apply_ctx *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct apply_ctx *a, const char *fmt, ...)
{
	va_list ap;

	if (a->err.len)
		return;	/* keep the first: later ones are consequences */
	va_start(ap, fmt);
	buf_vprintf(&a->err, fmt, ap);
	va_end(ap);
}

/* Read the file a generated file replaces; a missing file is fine. */
static int gen_file_prepare(struct apply_ctx *a, struct gen_file *g, const char *rel)
{
	int rc;

	g->path = xasprintf("%s/%s", strcmp(a->tc->out_dir, "/") == 0 ? "" : a->tc->out_dir, rel);
	buf_init(&g->old);
	buf_init(&g->new);
	/* not through a symlink: a rollback would write its target's content here */
	rc = file_read_regular(g->path, TC_MAX_FILE_SIZE, true, &g->old, NULL);
	if (rc == 0) {
		g->had_old = true;
		return 0;
	}
	if (rc == -ENOENT)
		return 0;
	fail(a, "cannot read %s: %s", g->path, file_read_strerror(rc));
	return -1;
}

/* Write a generated file atomically with mode 0600, creating its directory. */
static int gen_file_write(struct apply_ctx *a, const char *path, const struct buf *data)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash && slash != dir) {
		*slash = '\0';
		rc = mkdir_p(dir, 0755);
	}
	free(dir);
	if (rc == 0)
		rc = file_write_atomic(path, data->data, data->len, 0600);
	if (rc != 0)
		fail(a, "cannot write %s: %s", path, strerror(-rc));
	return rc;
}

/* Put back a generated file as it was (removed if it did not exist). */
static void gen_file_restore(struct apply_ctx *a, struct gen_file *g)
{
	if (g->had_old)
		gen_file_write(a, g->path, &g->old);
	else if (unlink(g->path) != 0 && errno != ENOENT)
		fail(a, "cannot remove %s: %s", g->path, strerror(errno));
}

/* Run one VICI command whose reply says success = yes|no. 0 or -1 (a->err says why). With
 * reply non-NULL, a successful reply is handed over (caller frees). */
static int vici_cmd_reply(struct apply_ctx *a, const char *cmd, const char *what, struct vici_msg *m,
			  struct vici_node **out)
{
	struct vici_node *reply = NULL;
	char *err = NULL;
	int rc = vici_client_request(a->vc, cmd, m, APPLY_VICI_TIMEOUT_MS, &reply, &err);

	if (rc == 0 && strcmp(vici_find_str(reply, "success", "no"), "yes") != 0) {
		fail(a, "charon refused %s %s: %s", cmd, what, vici_find_str(reply, "errmsg", "no reason given"));
		rc = -1;
	} else if (rc != 0) {
		fail(a, "%s %s: %s", cmd, what, err ? err : strerror(-rc));
		rc = -1;
	}
	free(err);
	if (rc == 0 && out) {
		*out = reply;
		reply = NULL;
	}
	vici_node_free(reply);
	return rc;
}

static int vici_cmd(struct apply_ctx *a, const char *cmd, const char *what, struct vici_msg *m)
{
	return vici_cmd_reply(a, cmd, what, m, NULL);
}

/* Reads certs/cacerts files for swanctl_msg_conn: absolute paths, as compile writes them. */
static int read_cred(void *arg, const char *key, const char *path, struct buf *out)
{
	(void)arg;
	(void)key;
	return file_read_all(path, TC_MAX_FILE_SIZE, out);
}

static int load_conn(struct apply_ctx *a, const struct conf_node *conn)
{
	const struct swanctl_msg_io io = { read_cred, NULL };
	struct tc_errors errs = { 0 };
	struct vici_msg m;
	int rc;

	vici_msg_init(&m);
	if (swanctl_msg_conn(conn, &io, &m, &errs) != 0) {
		fail(a, "cannot build connection %s: %s", conn->name, errs.n ? errs.v[0].msg : "invalid");
		rc = -1;
	} else {
		rc = vici_cmd(a, "load-conn", conn->name, &m);
	}
	vici_msg_free(&m);
	tc_errors_free(&errs);
	return rc;
}

static int unload_conn(struct apply_ctx *a, const char *name)
{
	struct vici_msg m;
	int rc;

	vici_msg_init(&m);
	vici_msg_add_str(&m, "name", name);
	rc = vici_cmd(a, "unload-conn", name, &m);
	vici_msg_free(&m);
	return rc;
}

/* End the IKE SAs of a removed connection. Not finding one is fine. */
static void terminate_ike(struct apply_ctx *a, const char *name)
{
	struct vici_node *reply = NULL;
	struct vici_msg m;
	char *err = NULL;

	vici_msg_init(&m);
	vici_msg_add_str(&m, "ike", name);
	vici_msg_add_str(&m, "force", "yes");
	vici_msg_add_strf(&m, "timeout", "%d", APPLY_TERMINATE_TIMEOUT_MS);
	vici_msg_add_str(&m, "loglevel", "-1");
	/* "no matching SAs" is a failure reply we expect for tunnels that were down */
	vici_client_request(a->vc, "terminate", &m, APPLY_VICI_TIMEOUT_MS, &reply, &err);
	free(err);
	vici_node_free(reply);
	vici_msg_free(&m);
}

/* True when a private key other than `except` in the new config has key id `id` (two tunnels
 * may share one key: unloading it for one would break the other). */
static bool keyid_in_use(const struct apply_ctx *a, const char *id, const char *except)
{
	const struct conf_node *secrets = conf_find(a->new_tree->root, "secrets", CONF_SECTION);
	char other[STATE_KEYID_MAX];

	for (size_t i = 0; secrets && i < secrets->n_child; i++) {
		const char *name = secrets->child[i]->name;
		if (secrets->child[i]->type != CONF_SECTION || !str_startswith(name, "private") ||
		    (except && strcmp(name, except) == 0))
			continue;
		if (state_keyid_load(a->tc->state_dir, name, other) == 0 && strcasecmp(other, id) == 0)
			return true;
	}
	return false;
}

/* Unload a private key by the id recorded when we loaded it, unless another tunnel uses it.
 * Best effort: a key left in charon is unused. */
static void unload_key_id(struct apply_ctx *a, const char *name, const char *id)
{
	struct vici_msg m;
	struct vici_node *reply = NULL;
	char *err = NULL;

	if (keyid_in_use(a, id, name))
		return;
	vici_msg_init(&m);
	vici_msg_add_str(&m, "id", id);
	vici_client_request(a->vc, "unload-key", &m, APPLY_VICI_TIMEOUT_MS, &reply, &err);
	free(err);
	vici_node_free(reply);
	vici_msg_free(&m);
}

/* Load a private key (private-N) and record the id charon gives it; a key that replaces
 * another one under the same name unloads the old one. */
static int load_private_key(struct apply_ctx *a, const struct conf_node *sec, struct vici_msg *m)
{
	const char *file = conf_get(sec, "file");
	char prev[STATE_KEYID_MAX];
	struct vici_node *reply = NULL;
	struct buf key;
	int rc;

	buf_init(&key);
	rc = file ? file_read_all(file, TC_MAX_FILE_SIZE, &key) : -EINVAL;
	if (rc != 0) {
		fail(a, "cannot read private key for %s: %s", sec->name, strerror(-rc));
		buf_free_secret(&key);
		return -1;
	}
	vici_msg_add_str(m, "type", "any");
	vici_msg_add_kv(m, "data", key.data, key.len);
	rc = vici_cmd_reply(a, "load-key", sec->name, m, &reply);
	buf_free_secret(&key);
	if (rc != 0)
		return rc;
	const char *id = vici_find_str(reply, "id", "");
	if (state_keyid_load(a->tc->state_dir, sec->name, prev) == 0 && strcasecmp(prev, id) != 0)
		unload_key_id(a, sec->name, prev);
	if (*id)
		state_keyid_save(a->tc->state_dir, sec->name, id);
	vici_node_free(reply);
	return 0;
}

/* Load one secret section (ike-N: load-shared; private-N: load-key). */
static int load_secret(struct apply_ctx *a, const struct conf_node *sec)
{
	struct tc_errors errs = { 0 };
	struct vici_msg m;
	int rc;

	vici_msg_init(&m);
	rc = swanctl_msg_shared(sec, &m, &errs);
	if (rc == 0) {
		rc = vici_cmd(a, "load-shared", sec->name, &m);
	} else if (rc == -ENOTSUP) {
		rc = load_private_key(a, sec, &m);
	} else {
		fail(a, "cannot build secret %s: %s", sec->name, errs.n ? errs.v[0].msg : "invalid");
		rc = -1;
	}
	vici_msg_free(&m);
	tc_errors_free(&errs);
	return rc;
}

static int unload_secret(struct apply_ctx *a, const char *id)
{
	struct vici_msg m;
	int rc;

	if (!str_startswith(id, "ike")) {
		char keyid[STATE_KEYID_MAX];
		if (state_keyid_load(a->tc->state_dir, id, keyid) == 0) {
			unload_key_id(a, id, keyid);
			state_keyid_remove(a->tc->state_dir, id);
		}
		return 0;
	}
	vici_msg_init(&m);
	vici_msg_add_str(&m, "id", id);
	rc = vici_cmd(a, "unload-shared", id, &m);
	vici_msg_free(&m);
	return rc;
}

static const struct conf_node *secret_section(const struct conf_tree *t, const char *id)
{
	const struct conf_node *s = t ? conf_find(t->root, "secrets", CONF_SECTION) : NULL;

	return s ? conf_find(s, id, CONF_SECTION) : NULL;
}

/* Ask charon for a list (get-conns: "conns", get-shared: "keys") into *names. */
static int get_list(struct apply_ctx *a, const char *cmd, const char *key, char ***names, size_t *n)
{
	struct vici_node *reply = NULL, *list;
	char *err = NULL;
	int rc = vici_client_request(a->vc, cmd, NULL, APPLY_VICI_TIMEOUT_MS, &reply, &err);

	if (rc != 0) {
		fail(a, "%s: %s", cmd, err ? err : strerror(-rc));
		free(err);
		return -1;
	}
	list = vici_child(reply, key);
	for (size_t i = 0; list && i < list->n_child; i++) {
		const char *name = vici_list_str(list, i);
		if (!name)
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(char *));
		(*names)[(*n)++] = xstrdup(name);
	}
	vici_node_free(reply);
	return 0;
}

/* A secret is loaded when it changed or charon lacks it (it restarted): loading all 1,000
 * unchanged PSKs of a big gateway would cost 1,000 round trips. Private keys are not listed
 * by name (get-keys gives key ids), so they are loaded whenever a connection is added; the id
 * charon gives each is kept in the state directory to unload it when its tunnel goes. */
static bool secret_needs_load(const struct apply_ctx *a, const char *id)
{
	if (str_in_list(id, a->plan.secrets_changed, a->plan.n_secrets_changed))
		return true;
	if (str_startswith(id, "ike"))
		return !str_in_list(id, a->shared, a->n_shared);
	for (size_t i = 0; i < a->plan.n; i++)
		if (a->plan.v[i].kind == APPLY_ADD)
			return true;
	return false;
}

/* Carry out the plan: secrets first (a new connection may initiate at once), then removals,
 * changes and additions in plan order, then removed secrets. */
static int execute(struct apply_ctx *a)
{
	const struct conf_node *secrets = conf_find(a->new_tree->root, "secrets", CONF_SECTION);
	for (; secrets && a->secrets_done < secrets->n_child; a->secrets_done++) {
		const struct conf_node *sec = secrets->child[a->secrets_done];
		if (sec->type == CONF_SECTION && secret_needs_load(a, sec->name) && load_secret(a, sec) != 0)
			return -1;
	}
	for (; a->done < a->plan.n; a->done++) {
		const struct apply_change *c = &a->plan.v[a->done];
		if (c->kind == APPLY_REMOVE) {
			if (unload_conn(a, c->name) != 0)
				return -1;
			terminate_ike(a, c->name);
		} else if (load_conn(a, c->new_conn) != 0) {
			return -1;
		}
	}
	for (size_t i = 0; i < a->plan.n_secrets_removed; i++)
		unload_secret(a, a->plan.secrets_removed[i]);	/* best effort: a stale PSK is unused */
	return 0;
}

/* Undo what execute did, newest first, and put the old files back. */
static void rollback(struct apply_ctx *a)
{
	struct buf keep = a->err;

	/* the entry that failed did not happen: load-conn and unload-conn are all or nothing */
	buf_init(&a->err);	/* failures during rollback are reported separately */
	for (size_t i = a->done; i-- > 0;) {
		const struct apply_change *c = &a->plan.v[i];
		if (c->kind == APPLY_ADD && !c->old_conn)
			unload_conn(a, c->name);
		else if (c->old_conn)
			load_conn(a, c->old_conn);
	}
	const struct conf_node *secrets = conf_find(a->new_tree->root, "secrets", CONF_SECTION);
	for (size_t i = 0; secrets && i < a->secrets_done && i < secrets->n_child; i++) {
		const char *id = secrets->child[i]->name;
		if (!secret_needs_load(a, id))
			continue;
		const struct conf_node *old = secret_section(a->old_tree, id);
		if (old)
			load_secret(a, old);
		else
			unload_secret(a, id);
	}
	if (a->files_written) {
		gen_file_restore(a, &a->swanctl);
		gen_file_restore(a, &a->fragment);
	}
	if (a->err.len)
		a->res->rollback_error = xstrdup(a->err.data);
	buf_free(&a->err);
	a->err = keep;
}

static void reload_settings(struct apply_ctx *a)
{
	struct vici_node *reply = NULL;
	char *err = NULL;

	if (vici_client_request(a->vc, "reload-settings", NULL, APPLY_VICI_TIMEOUT_MS, &reply, &err) != 0 ||
	    strcmp(vici_find_str(reply, "success", "no"), "yes") != 0)
		a->res->warning = xasprintf("charon did not reload its settings (%s); logging changes take effect at its next start",
					    err ? err : vici_find_str(reply, "errmsg", "no reason given"));
	free(err);
	vici_node_free(reply);
}

/* Our nftables table (docs/firewall.md) follows the tunnel file (removed with global.firewall =
 * off). Connections are loaded by now, so a refused ruleset is a warning, not a rollback. */
/* Bring our nftables table in line with the tunnel file. The kernel builds 1,000 tunnels'
 * rules in about half a second, so an unchanged ruleset (same text as last applied, table
 * still there) is left alone; `tunnelctl firewall apply` always rewrites it. */
static void sync_firewall(struct apply_ctx *a)
{
	struct tc_errors notes = { 0 };
	struct buf text, err;
	char hash[65], last[65];

	buf_init(&text);
	buf_init(&err);
	nft_build_ruleset(&text, a->tf, &notes);
	sha256_hex(text.data, text.len, hash);
	bool on = a->tf->global.firewall != TUNNEL_FIREWALL_OFF;
	if (state_firewall_hash_load(a->tc->state_dir, last) == 0 && strcmp(hash, last) == 0 &&
	    nft_table_exists() == on) {
		a->res->firewall_unchanged = true;
	} else if (nft_run(text.data, &err) != 0) {
		state_firewall_hash_clear(a->tc->state_dir);
		if (!a->res->warning)
			a->res->warning = xasprintf("firewall rules not applied (%s); see `tunnelctl firewall apply`",
						    err.len ? err.data : "libnftables failed");
	} else {
		state_firewall_hash_save(a->tc->state_dir, hash);
	}
	tc_errors_free(&notes);
	buf_free(&text);
	buf_free(&err);
}

/* Names of the IKE SAs charon has now (any state). */
static void ike_sa_names(struct apply_ctx *a, char ***names, size_t *n)
{
	struct vici_node **events = NULL;
	size_t n_events = 0;
	char *err = NULL;

	*names = NULL;
	*n = 0;
	if (vici_client_stream(a->vc, "list-sas", NULL, "list-sa", APPLY_VICI_TIMEOUT_MS, &events, &n_events, &err) != 0) {
		free(err);
		return;
	}
	for (size_t i = 0; i < n_events; i++) {
		for (size_t j = 0; j < events[i]->n_child; j++) {
			*names = xrealloc(*names, (*n + 1) * sizeof(char *));
			(*names)[(*n)++] = xstrdup(events[i]->child[j]->name);
		}
		vici_node_free(events[i]);
	}
	free(events);
}

/* Honour start_action = start for tunnels that have no IKE SA (charon does it only at its own
 * start and for connections it just loaded). Asynchronous: apply does not wait for the peer. */
static void start_missing(struct apply_ctx *a)
{
	char **names;
	size_t n;

	ike_sa_names(a, &names, &n);
	for (size_t i = 0; i < a->tf->n_p1; i++) {
		const struct tunnel_phase1 *p1 = &a->tf->p1[i];
		char ike[NAMING_MAX], child[NAMING_MAX];
		if (!p1->enabled || p1->start_action != TUNNEL_ACTION_START)
			continue;
		naming_ike(p1, ike);
		if (str_in_list(ike, names, n) || state_is_down(a->tc->state_dir, ike))
			continue;
		for (size_t j = 0; j < p1->n_p2; j++) {
			if (!p1->p2[j].enabled)
				continue;
			naming_child(p1, &p1->p2[j], child);
			if (state_is_down(a->tc->state_dir, child))
				continue;
			struct vici_node *reply = NULL;
			struct vici_msg m;
			char *err = NULL;
			vici_msg_init(&m);
			vici_msg_add_str(&m, "ike", ike);
			vici_msg_add_str(&m, "child", child);
			vici_msg_add_str(&m, "timeout", "-1");
			vici_msg_add_str(&m, "loglevel", "-1");
			vici_client_request(a->vc, "initiate", &m, APPLY_VICI_TIMEOUT_MS, &reply, &err);
			vici_msg_free(&m);
			vici_node_free(reply);
			free(err);
			if (!naming_split(p1))
				break;	/* one merged child */
		}
	}
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
}

/* Steps up to the plan: files read, new config compiled and parsed, charon asked. */
static int prepare(struct apply_ctx *a)
{
	struct compile_opts co = { .show_secrets = true };
	struct tc_errors errs = { 0 };
	char *err = NULL;

	if (gen_file_prepare(a, &a->swanctl, COMPILE_SWANCTL_PATH) != 0 ||
	    gen_file_prepare(a, &a->fragment, COMPILE_STRONGSWAN_PATH) != 0)
		return -1;
	compile_swanctl(&a->swanctl.new, a->tf, &co);
	char *log = cmd_charon_log(a->tc);
	compile_strongswan(&a->fragment.new, a->tf, log);
	*strrchr(log, '/') = '\0';
	mkdir_p(log, 0755);	/* charon does not create its log's directory */
	free(log);
	a->new_tree = conf_parse(a->swanctl.path, a->swanctl.new.data, a->swanctl.new.len, NULL, &errs);
	if (errs.n_errors) {
		fail(a, "internal error: generated config does not parse: %u:%u: %s", errs.v[0].line,
		     errs.v[0].col, errs.v[0].msg);
		tc_errors_free(&errs);
		return -1;
	}
	tc_errors_free(&errs);
	if (a->swanctl.had_old) {
		a->old_tree = conf_parse(a->swanctl.path, a->swanctl.old.data, a->swanctl.old.len, NULL, &errs);
		if (errs.n_errors) {	/* edited by hand: compare with charon only */
			conf_tree_free(a->old_tree);
			a->old_tree = NULL;
		}
		tc_errors_free(&errs);
	}
	if (vici_client_connect(a->tc->vici, APPLY_VICI_TIMEOUT_MS, &a->vc, &err) != 0) {
		fail(a, "%s", err ? err : "cannot reach charon");
		free(err);
		return -1;
	}
	if (get_list(a, "get-conns", "conns", &a->loaded, &a->n_loaded) != 0 ||
	    get_list(a, "get-shared", "keys", &a->shared, &a->n_shared) != 0)
		return -1;
	/* an earlier run stopped between writing the files and charon accepting them: what is on
	 * disk may not be in charon, so plan as if nothing had been applied (load everything) */
	a->res->interrupted = state_apply_pending(a->tc->state_dir);
	apply_plan_build(a->old_tree && !a->res->interrupted ? a->old_tree->root : NULL, a->new_tree->root,
			 a->loaded, a->n_loaded, &a->plan);
	apply_plan_stale_secrets(a->new_tree->root, a->shared, a->n_shared, &a->plan);
	return 0;
}

int apply_run(const struct tc_ctx *ctx, const struct tunnel_file *tf, const struct apply_opts *opts,
	      struct apply_result *res)
{
	struct apply_ctx a = { .tc = ctx, .tf = tf, .res = res };
	int rc = 0;

	memset(res, 0, sizeof(*res));
	a.res = res;
	buf_init(&a.err);
	if (prepare(&a) != 0) {
		rc = -1;
		goto out;
	}
	res->planned = true;
	if (opts->dry_run)
		goto out;

	/* the marker first: from here until charon has taken everything, a kill must leave a
	 * trace, or the next run would trust the new files and find nothing to do */
	rc = state_apply_pending_set(ctx->state_dir);
	if (rc != 0) {
		fail(&a, "cannot write the state directory %s: %s", ctx->state_dir, state_strerror(rc));
		rc = -1;
		goto out;
	}
	/* files next: if charon restarts now it reads the new config, as apply would load it */
	if (gen_file_write(&a, a.swanctl.path, &a.swanctl.new) != 0 ||
	    gen_file_write(&a, a.fragment.path, &a.fragment.new) != 0 || execute(&a) != 0) {
		a.files_written = true;
		rollback(&a);
		res->rolled_back = true;
		/* a clean rollback leaves charon and the files as they were: in step again */
		if (!res->rollback_error && !res->interrupted)
			state_apply_pending_clear(ctx->state_dir);
		rc = -1;
		goto out;
	}
	a.files_written = true;
	state_apply_pending_clear(ctx->state_dir);
	/* logging and retransmit settings: charon re-reads strongswan.conf only when told */
	if (!a.fragment.had_old || a.fragment.old.len != a.fragment.new.len ||
	    memcmp(a.fragment.old.data, a.fragment.new.data, a.fragment.new.len) != 0)
		reload_settings(&a);
	/* the nftables table is the host's whatever --out-dir/--state-dir say */
	if (!opts->no_firewall)
		sync_firewall(&a);
	if (!opts->no_start)
		start_missing(&a);
	res->applied = true;
	/* the daemon follows this record: never one for a file edited while apply ran */
	rc = state_save_applied(ctx->state_dir, ctx->conf, tf->tree ? tf->tree->digest : "");
	if (rc != 0) {
		char *w = xasprintf("%s%snot recorded as applied in %s (%s): run tunnelctl apply again",
				    res->warning ? res->warning : "", res->warning ? "; " : "",
				    ctx->state_dir, state_strerror(rc));

		free(res->warning);
		res->warning = w;
		rc = 0;
	}
out:
	if (a.err.len)
		res->error = xstrdup(a.err.data);
	/* the sections live in trees freed below: the result keeps names and keys only */
	for (size_t i = 0; i < a.plan.n; i++)
		a.plan.v[i].old_conn = a.plan.v[i].new_conn = NULL;
	res->plan = a.plan;
	memset(&a.plan, 0, sizeof(a.plan));
	apply_ctx_free(&a);
	return rc;
}

void apply_result_free(struct apply_result *res)
{
	apply_plan_free(&res->plan);
	free(res->error);
	free(res->rollback_error);
	free(res->warning);
	memset(res, 0, sizeof(*res));
}
