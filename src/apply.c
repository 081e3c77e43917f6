/* apply.c - the change set of `apply`: which connections to load, change and remove. */
#include "apply.h"

#include <stdlib.h>
#include <string.h>

#include "naming.h"
#include "util.h"

const char *const apply_kind_names[] = { "+", "~", "-" };

bool apply_is_ours(const char *name)
{
	unsigned ikeid, reqid;

	return strcmp(name, "bypass") == 0 || naming_parse(name, &ikeid, &reqid);
}

/* Flatten a section to sorted "path = value" lines, for comparing two versions. */
struct flat {
	char **line;	/* "children.con1.esp_proposals\0value" style: path, '=', value */
	size_t n;
};

static void flatten(const struct conf_node *sec, const char *prefix, struct flat *f)
{
	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *n = sec->child[i];
		char *path = *prefix ? xasprintf("%s.%s", prefix, n->name) : xstrdup(n->name);
		if (n->type == CONF_SECTION) {
			/* an empty section still matters (e.g. a child with defaults only) */
			f->line = xrealloc(f->line, (f->n + 1) * sizeof(*f->line));
			f->line[f->n++] = xasprintf("%s={", path);
			flatten(n, path, f);
		} else {
			f->line = xrealloc(f->line, (f->n + 1) * sizeof(*f->line));
			f->line[f->n++] = xasprintf("%s=%s", path, n->value ? n->value : "");
		}
		free(path);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void flat_free(struct flat *f)
{
	for (size_t i = 0; i < f->n; i++)
		secret_free(f->line[i]);
	free(f->line);
}

/* Length of the path part of a flat line. */
static size_t path_len(const char *line)
{
	return strcspn(line, "=");
}

/* Append path to keys unless it is already there. */
static void keys_add(struct buf *keys, const char *line)
{
	size_t len = path_len(line);
	const char *p = keys->data;

	while (p && *p) {
		size_t l = strcspn(p, ",");
		if (l == len && strncmp(p, line, len) == 0)
			return;
		p += l;
		while (*p == ',' || *p == ' ')
			p++;
	}
	if (keys->len)
		buf_adds(keys, ", ");
	buf_add(keys, line, len);
}

/* The keys that differ between two versions of a connection, or NULL when equal. */
static char *diff_keys(const struct conf_node *a, const struct conf_node *b)
{
	struct flat fa = { 0 }, fb = { 0 };
	struct buf keys;
	size_t i = 0, j = 0;

	flatten(a, "", &fa);
	flatten(b, "", &fb);
	if (fa.n)
		qsort(fa.line, fa.n, sizeof(*fa.line), cmp_str);
	if (fb.n)
		qsort(fb.line, fb.n, sizeof(*fb.line), cmp_str);
	buf_init(&keys);
	/* merge walk over two sorted lists: a line on one side only is a changed key */
	while (i < fa.n || j < fb.n) {
		int c = i == fa.n ? 1 : j == fb.n ? -1 : strcmp(fa.line[i], fb.line[j]);
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			keys_add(&keys, fa.line[i++]);
		} else {
			keys_add(&keys, fb.line[j++]);
		}
	}
	flat_free(&fa);
	flat_free(&fb);
	if (!keys.len) {
		buf_free(&keys);
		return NULL;
	}
	return buf_steal(&keys);
}

static void plan_add(struct apply_plan *p, enum apply_kind kind, const char *name, char *keys,
		     const struct conf_node *old_conn, const struct conf_node *new_conn)
{
	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	p->v[p->n++] = (struct apply_change){ kind, xstrdup(name), keys, old_conn, new_conn };
}

static int cmp_change(const void *a, const void *b)
{
	const struct apply_change *x = a, *y = b;
	/* removals first (they free names and reqids), then changes, then additions */
	static const int rank[] = { [APPLY_REMOVE] = 0, [APPLY_CHANGE] = 1, [APPLY_ADD] = 2 };

	if (rank[x->kind] != rank[y->kind])
		return rank[x->kind] - rank[y->kind];
	return strcmp(x->name, y->name);
}

static void list_add(char ***list, size_t *n, const char *name)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(char *));
	(*list)[(*n)++] = xstrdup(name);
}

void apply_plan_build(const struct conf_node *old_root, const struct conf_node *new_root,
		      char *const *loaded, size_t n_loaded, struct apply_plan *plan)
{
	const struct conf_node *oc = old_root ? conf_find(old_root, "connections", CONF_SECTION) : NULL;
	const struct conf_node *nc = new_root ? conf_find(new_root, "connections", CONF_SECTION) : NULL;
	const struct conf_node *os = old_root ? conf_find(old_root, "secrets", CONF_SECTION) : NULL;
	const struct conf_node *ns = new_root ? conf_find(new_root, "secrets", CONF_SECTION) : NULL;

	memset(plan, 0, sizeof(*plan));
	/* new and changed */
	for (size_t i = 0; nc && i < nc->n_child; i++) {
		const struct conf_node *n = nc->child[i];
		const struct conf_node *o = oc ? conf_find(oc, n->name, CONF_SECTION) : NULL;
		if (n->type != CONF_SECTION)
			continue;
		if (!str_in_list(n->name, loaded, n_loaded)) {
			plan_add(plan, APPLY_ADD, n->name, NULL, o, n);
		} else if (!o) {
			plan_add(plan, APPLY_CHANGE, n->name, xstrdup(""), NULL, n);
		} else {
			char *keys = diff_keys(o, n);
			if (keys)
				plan_add(plan, APPLY_CHANGE, n->name, keys, o, n);
		}
	}
	/* removed: loaded, ours, and no longer generated */
	for (size_t i = 0; i < n_loaded; i++) {
		if (!apply_is_ours(loaded[i]) || (nc && conf_find(nc, loaded[i], CONF_SECTION)))
			continue;
		plan_add(plan, APPLY_REMOVE, loaded[i], NULL,
			 oc ? conf_find(oc, loaded[i], CONF_SECTION) : NULL, NULL);
	}
	if (plan->n)
		qsort(plan->v, plan->n, sizeof(*plan->v), cmp_change);
	/* secrets that disappear, and secrets that are new or changed */
	for (size_t i = 0; os && i < os->n_child; i++) {
		const struct conf_node *s = os->child[i];
		if (s->type == CONF_SECTION && !(ns && conf_find(ns, s->name, CONF_SECTION)))
			list_add(&plan->secrets_removed, &plan->n_secrets_removed, s->name);
	}
	for (size_t i = 0; ns && i < ns->n_child; i++) {
		const struct conf_node *s = ns->child[i];
		const struct conf_node *o = os ? conf_find(os, s->name, CONF_SECTION) : NULL;
		char *keys = o ? diff_keys(o, s) : NULL;
		if (s->type == CONF_SECTION && (!o || keys))
			list_add(&plan->secrets_changed, &plan->n_secrets_changed, s->name);
		free(keys);
	}
}

/* ike-N: the name compile gives a PSK. */
static bool secret_is_ours(const char *id)
{
	const char *p = id + strlen("ike-");

	if (!str_startswith(id, "ike-") || !*p)
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

void apply_plan_stale_secrets(const struct conf_node *new_root, char *const *shared, size_t n_shared,
			      struct apply_plan *plan)
{
	const struct conf_node *ns = new_root ? conf_find(new_root, "secrets", CONF_SECTION) : NULL;

	for (size_t i = 0; i < n_shared; i++) {
		if (!secret_is_ours(shared[i]) || (ns && conf_find(ns, shared[i], CONF_SECTION)) ||
		    str_in_list(shared[i], plan->secrets_removed, plan->n_secrets_removed))
			continue;
		list_add(&plan->secrets_removed, &plan->n_secrets_removed, shared[i]);
	}
}

void apply_plan_free(struct apply_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->v[i].name);
		free(plan->v[i].keys);
	}
	free(plan->v);
	for (size_t i = 0; i < plan->n_secrets_removed; i++)
		free(plan->secrets_removed[i]);
	free(plan->secrets_removed);
	for (size_t i = 0; i < plan->n_secrets_changed; i++)
		free(plan->secrets_changed[i]);
	free(plan->secrets_changed);
	memset(plan, 0, sizeof(*plan));
}
