/* doctor_conf_side.c - one side's configuration built from a swanctl.conf tree (or a tunnel
 * file compiled to one): templates followed, connections normalized (see doctor_conf_side.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compile.h"
#include "doctor_conf_side.h"
#include "doctor_conf_xml.h"
#include "naming.h"
#include "swanctl_msg.h"

/* ---- addresses, selectors, identities -------------------------------------------------- */

bool doctor_conf_side_parse_ip(const char *s, struct dc_range *r)
{
	unsigned char a[16] = { 0 };

	if (inet_pton(AF_INET, s, a) == 1)
		r->fam = 4;
	else if (inet_pton(AF_INET6, s, a) == 1)
		r->fam = 6;
	else
		return false;
	memcpy(r->lo, a, 16);
	memcpy(r->hi, a, 16);
	return true;
}

/* IP, CIDR or lo-hi range (an optional [proto/port] suffix is ignored). */
bool doctor_conf_side_parse_range(const char *in, struct dc_range *r)
{
	char s[128], *p;
	size_t l = strcspn(in, "[");

	memset(r, 0, sizeof(*r));
	if (l == 0 || l >= sizeof(s))
		return false;
	memcpy(s, in, l);
	s[l] = '\0';
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
		s[--l] = '\0';
	if ((p = strchr(s, '/'))) {
		char *end;
		long bits;
		int len;
		*p++ = '\0';
		bits = strtol(p, &end, 10);
		if (!doctor_conf_side_parse_ip(s, r) || *end || end == p)
			return false;
		len = r->fam == 4 ? 32 : 128;
		if (bits < 0 || bits > len)
			return false;
		for (int i = (int)bits; i < len; i++) {
			r->lo[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
			r->hi[i / 8] |= (unsigned char)(0x80 >> (i % 8));
		}
		return true;
	}
	if ((p = strchr(s, '-')) && strchr(s, '.') != NULL) {
		struct dc_range b;
		*p++ = '\0';
		if (!doctor_conf_side_parse_ip(s, r) || !doctor_conf_side_parse_ip(p, &b) || b.fam != r->fam)
			return false;
		memcpy(r->hi, b.hi, 16);
		return memcmp(r->lo, r->hi, 16) <= 0;
	}
	return doctor_conf_side_parse_ip(s, r);
}

bool doctor_conf_side_range_intersect(const struct dc_range *a, const struct dc_range *b, struct dc_range *out)
{
	if (a->fam != b->fam || a->fam == 0)
		return false;
	out->fam = a->fam;
	memcpy(out->lo, memcmp(a->lo, b->lo, 16) > 0 ? a->lo : b->lo, 16);
	memcpy(out->hi, memcmp(a->hi, b->hi, 16) < 0 ? a->hi : b->hi, 16);
	return memcmp(out->lo, out->hi, 16) <= 0;
}

bool doctor_conf_side_range_eq(const struct dc_range *a, const struct dc_range *b)
{
	return a->fam == b->fam && memcmp(a->lo, b->lo, 16) == 0 && memcmp(a->hi, b->hi, 16) == 0;
}

bool doctor_conf_side_range_contains(const struct dc_range *outer, const struct dc_range *inner)
{
	return outer->fam == inner->fam && memcmp(outer->lo, inner->lo, 16) <= 0 &&
	       memcmp(outer->hi, inner->hi, 16) >= 0;
}

static void range_print(struct buf *b, const struct dc_range *r)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int af = r->fam == 4 ? AF_INET : AF_INET6, len = r->fam == 4 ? 32 : 128, prefix = -1;

	inet_ntop(af, r->lo, lo, sizeof(lo));
	inet_ntop(af, r->hi, hi, sizeof(hi));
	for (int bits = 0; bits <= len && prefix < 0; bits++) {
		struct dc_range c = *r;
		memcpy(c.hi, c.lo, 16);
		for (int i = bits; i < len; i++)
			c.hi[i / 8] |= (unsigned char)(0x80 >> (i % 8));
		bool lo_ok = true;
		for (int i = bits; i < len; i++)
			lo_ok &= !(r->lo[i / 8] & (0x80 >> (i % 8)));
		if (lo_ok && memcmp(c.hi, r->hi, 16) == 0)
			prefix = bits;
	}
	if (prefix >= 0)
		buf_printf(b, "%s/%d", lo, prefix);
	else
		buf_printf(b, "%s-%s", lo, hi);
}

void doctor_conf_side_ts_print(struct buf *b, const struct dc_ts *v, size_t n)
{
	if (n == 0)
		buf_adds(b, "nothing usable");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(b, ",");
		if (v[i].dynamic)
			buf_adds(b, "dynamic");
		else
			range_print(b, &v[i].r);
	}
}

/* An identity as "type:value" so that 192.0.2.1, ipv4:192.0.2.1 and fqdn/@ forms compare. */
char *doctor_conf_side_id_normalize(const char *s)
{
	struct dc_range r;
	char ip[INET6_ADDRSTRLEN];
	static const struct {
		const char *prefix, *type;
	} typed[] = {
		{ "fqdn:", "fqdn" },	   { "userfqdn:", "email" }, { "email:", "email" },
		{ "rfc822:", "email" },	   { "keyid:", "keyid" },    { "asn1dn:", "dn" },
		{ "ipv4:", "ip" },	   { "ipv6:", "ip" },	     { "dns:", "fqdn" },
	};

	if (!s || !*s || strcmp(s, "%any") == 0 || strcmp(s, "%any6") == 0 || strcmp(s, "*") == 0)
		return xstrdup("%any");
	for (size_t i = 0; i < ARRAY_SIZE(typed); i++)
		if (strncasecmp(s, typed[i].prefix, strlen(typed[i].prefix)) == 0) {
			const char *v = s + strlen(typed[i].prefix);
			if (strcmp(typed[i].type, "ip") == 0 && doctor_conf_side_parse_ip(v, &r)) {
				inet_ntop(r.fam == 4 ? AF_INET : AF_INET6, r.lo, ip, sizeof(ip));
				return xasprintf("ip:%s", ip);
			}
			return xasprintf("%s:%s", typed[i].type, v);
		}
	if (doctor_conf_side_parse_ip(s, &r)) {
		inet_ntop(r.fam == 4 ? AF_INET : AF_INET6, r.lo, ip, sizeof(ip));
		return xasprintf("ip:%s", ip);
	}
	if (strncmp(s, "@#", 2) == 0)
		return xasprintf("keyid:%s", s + 2);
	if (s[0] == '@')
		return xasprintf("fqdn:%s", s + 1);
	if (strchr(s, '='))
		return xasprintf("dn:%s", s);
	if (strchr(s, '@'))
		return xasprintf("email:%s", s);
	return xasprintf("fqdn:%s", s);
}

/* Whether identity `got` satisfies `want` (%any, or equal, or a '*' wildcard of one type). */
bool doctor_conf_side_id_matches(const char *want, const char *got)
{
	if (strcmp(want, "%any") == 0)
		return true;
	if (strcmp(want, got) == 0)
		return true;
	return strchr(want, '*') && fnmatch(want, got, 0) == 0;
}

/* ---- template inheritance (`name : path.to.section, other`) ----------------------------- */

/* A section and the sections it inherits from, in lookup order. */
struct dc_view {
	const struct conf_node *sec[DOCTOR_CONF_MAX_REFS + 1];
	size_t n;
};

static const struct conf_node *find_path(const struct conf_node *root, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	const struct conf_node *n = root;

	for (char *p = strtok_r(copy, ".", &save); p && n; p = strtok_r(NULL, ".", &save))
		n = conf_find(n, p, CONF_SECTION);
	free(copy);
	return n == root ? NULL : n;
}

static void view_add(struct dc_view *v, const struct conf_node *root, const struct conf_node *sec,
		     unsigned depth)
{
	char *copy, *save = NULL;

	if (!sec || v->n >= ARRAY_SIZE(v->sec) || depth > DOCTOR_CONF_MAX_REFS)
		return;
	for (size_t i = 0; i < v->n; i++)
		if (v->sec[i] == sec)
			return;
	v->sec[v->n++] = sec;
	if (!sec->refs)
		return;
	copy = xstrdup(sec->refs);
	for (char *p = strtok_r(copy, ", \t", &save); p; p = strtok_r(NULL, ", \t", &save))
		view_add(v, root, find_path(root, p), depth + 1);
	free(copy);
}

static void view_of(struct dc_view *v, const struct conf_node *root, const struct conf_node *sec)
{
	v->n = 0;
	view_add(v, root, sec, 0);
}

static const struct conf_node *view_kv(const struct dc_view *v, const char *key)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct conf_node *n = conf_find(v->sec[i], key, CONF_KV);
		if (n)
			return n;
	}
	return NULL;
}

static const char *view_get(const struct dc_view *v, const char *key, const char *def)
{
	const struct conf_node *n = view_kv(v, key);
	return n && n->value ? n->value : def;
}

/* The subsection `name` of a view, with the inherited ones behind it. */
static void view_sub(struct dc_view *out, const struct conf_node *root, const struct dc_view *v,
		     const char *name)
{
	out->n = 0;
	for (size_t i = 0; i < v->n; i++)
		view_add(out, root, conf_find(v->sec[i], name, CONF_SECTION), 0);
}

/* ---- normalizing ----------------------------------------------------------------------- */

static unsigned long long view_duration(const struct dc_view *v, const char *key,
					unsigned long long def, const struct conf_node **at)
{
	const struct conf_node *n = view_kv(v, key);
	unsigned long long d;

	if (at)
		*at = n;
	if (!n || !n->value || conf_parse_duration(n->value, &d))
		return def;
	return d;
}

static size_t split_list_by(const char *s, const char *seps, char ***out, size_t max)
{
	char *copy = xstrdup(s ? s : ""), *save = NULL;
	char **v = NULL;
	size_t n = 0;

	for (char *p = strtok_r(copy, seps, &save); p && n < max; p = strtok_r(NULL, seps, &save)) {
		char *e = p + strlen(p);
		p += strspn(p, " \t");
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == p)
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrndup(p, (size_t)(e - p));
	}
	free(copy);
	*out = v;
	return n;
}

/* Addresses, selectors, proposals: commas or blanks between items. */
static size_t split_list(const char *s, char ***out, size_t max)
{
	return split_list_by(s, ", \t", out, max);
}

/* File names (certs, cacerts): commas only, as swanctl splits them; a name may have blanks. */
size_t doctor_conf_side_split_files(const char *s, char ***out, size_t max)
{
	return split_list_by(s, ",", out, max);
}

void doctor_conf_side_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static size_t ts_parse(const char *list, const struct conf_node *at, struct dc_ts **out,
		       struct tc_errors *errs)
{
	char **w;
	size_t nw = split_list(list ? list : "dynamic", &w, DOCTOR_CONF_MAX_TS), n = 0;
	struct dc_ts *v = xcalloc(nw ? nw : 1, sizeof(*v));

	for (size_t i = 0; i < nw; i++) {
		if (strncmp(w[i], "dynamic", 7) == 0)
			v[n++].dynamic = true;
		else if (doctor_conf_side_parse_range(w[i], &v[n].r))
			n++;
		else if (at)
			tc_errors_add(errs, true, at->file, at->vline, at->vcol,
				      "traffic selector '%s' not understood by the doctor; ignored", w[i]);
	}
	doctor_conf_side_strv_free(w, nw);
	*out = v;
	return n;
}

/* The first auth round's section (local, local-1, ...) of a connection view. */
static void view_round(struct dc_view *out, const struct conf_node *root, const struct dc_view *v,
		       const char *prefix)
{
	out->n = 0;
	for (size_t i = 0; i < v->n && out->n == 0; i++)
		for (size_t k = 0; k < v->sec[i]->n_child; k++) {
			const struct conf_node *c = v->sec[i]->child[k];
			if (c->type == CONF_SECTION && str_startswith(c->name, prefix)) {
				view_sub(out, root, v, c->name);
				break;
			}
		}
}

static const char *auth_class(const char *a)
{
	if (!a)
		return "pubkey";
	if (str_startswith(a, "psk") || str_startswith(a, "secret"))
		return "psk";
	if (str_startswith(a, "eap"))
		return "eap";
	if (str_startswith(a, "xauth"))
		return "xauth";
	return "pubkey";
}

/* A child from the view of its sections: the connection's own child of that name first,
 * then the same-named children of the templates it inherits from (charon merges them: only
 * the keys a section gives override). */
static void child_normalize(struct dc_child *ch, const struct dc_view *cv, struct tc_errors *errs)
{
	const struct conf_node *n;

	ch->name = cv->sec[0]->name;
	ch->sec = cv->sec[0];
	ch->lts_at = view_kv(cv, "local_ts");
	ch->rts_at = view_kv(cv, "remote_ts");
	ch->n_lts = ts_parse(ch->lts_at ? ch->lts_at->value : NULL, ch->lts_at, &ch->lts, errs);
	ch->n_rts = ts_parse(ch->rts_at ? ch->rts_at->value : NULL, ch->rts_at, &ch->rts, errs);
	n = view_kv(cv, "ah_proposals");
	ch->ah = n != NULL;
	if (!n)
		n = view_kv(cv, "esp_proposals");
	ch->esp_at = n;
	ch->n_esp = doctor_props_parse_conf(n && n->value ? n->value : "default", false, ch->ah, &ch->esp, &ch->bad);
	ch->local_policy = strcmp(view_get(cv, "mode", "tunnel"), "pass") == 0 ||
			   strcmp(view_get(cv, "mode", "tunnel"), "drop") == 0;
	ch->start_at = view_kv(cv, "start_action");
	ch->start_action = view_get(cv, "start_action", "none");
	ch->close_at = view_kv(cv, "close_action");
	ch->close_action = view_get(cv, "close_action", "none");
	ch->rekey = view_duration(cv, "rekey_time", 3600, NULL);
	ch->life = view_duration(cv, "life_time", ch->rekey * 11 / 10, &ch->life_at);
	if (!ch->life_at)
		ch->life_at = view_kv(cv, "rekey_time");
}

/* First literal address of an address list, or NULL. */
const char *doctor_conf_side_first_ip(char *const *v, size_t n)
{
	struct dc_range r;

	for (size_t i = 0; i < n; i++)
		if (doctor_conf_side_parse_ip(v[i], &r))
			return v[i];
	return NULL;
}

/* The addresses of the first of a connection's pools (`pools = a, b`) that names literal
 * ones (`pools { a { addrs = 10.3.0.0/24 } }`); dhcp, radius and the like stay unknown. */
static void conn_read_pools(struct dc_conn *c, const struct conf_node *root, const char *names)
{
	const struct conf_node *pools = conf_find(root, "pools", CONF_SECTION);
	char **v;
	size_t n;

	if (!names || !pools)
		return;
	n = split_list(names, &v, DOCTOR_CONF_MAX_ADDRS);
	for (size_t i = 0; i < n && !c->has_pool; i++) {
		const struct conf_node *p = conf_find(pools, v[i], CONF_SECTION);
		const char *addrs = p ? conf_get(p, "addrs") : NULL;
		c->has_pool = addrs && doctor_conf_side_parse_range(addrs, &c->pool);
	}
	doctor_conf_side_strv_free(v, n);
}

static void conn_normalize(struct dc_conn *c, const struct conf_node *root, const struct conf_node *sec,
			   struct tc_errors *errs)
{
	struct dc_view v, local, remote, children, cv;
	const struct conf_node *n;
	const char *s;

	view_of(&v, root, sec);
	c->name = sec->name;
	c->sec = sec;
	c->version_at = view_kv(&v, "version");
	s = view_get(&v, "version", "0");
	c->version = strcmp(s, "1") == 0 || strcasecmp(s, "ikev1") == 0 ? 1
		   : strcmp(s, "2") == 0 || strcasecmp(s, "ikev2") == 0 ? 2 : 0;
	c->laddr_at = view_kv(&v, "local_addrs");
	c->raddr_at = view_kv(&v, "remote_addrs");
	c->n_laddr = split_list(view_get(&v, "local_addrs", "%any"), &c->laddr, DOCTOR_CONF_MAX_ADDRS);
	c->n_raddr = split_list(view_get(&v, "remote_addrs", "%any"), &c->raddr, DOCTOR_CONF_MAX_ADDRS);

	view_round(&local, root, &v, "local");
	view_round(&remote, root, &v, "remote");
	c->lid_at = view_kv(&local, "id");
	s = view_get(&local, "id", NULL);
	c->lid = doctor_conf_side_id_normalize(s ? s : doctor_conf_side_first_ip(c->laddr, c->n_laddr));
	c->rid_at = view_kv(&remote, "id");
	c->rid = doctor_conf_side_id_normalize(view_get(&remote, "id", NULL));
	c->lcert_at = view_kv(&local, "certs");
	c->rca_at = view_kv(&remote, "cacerts");
	c->rpol_at = view_kv(&remote, "cert_policy");
	c->lauth_at = view_kv(&local, "auth");
	c->lauth = auth_class(view_get(&local, "auth", NULL));
	c->rauth_at = view_kv(&remote, "auth");
	c->rauth = auth_class(view_get(&remote, "auth", NULL));

	n = view_kv(&v, "proposals");
	c->ike_at = n;
	c->n_ike = doctor_props_parse_conf(n && n->value ? n->value : "default", true, false, &c->ike, &c->bad);
	if (c->bad)
		c->bad_at = n;
	c->encap = strcasecmp(view_get(&v, "encap", "no"), "yes") == 0;
	c->dpd_delay = view_duration(&v, "dpd_delay", 0, &c->dpd_at);
	c->rekey = view_duration(&v, "rekey_time", 14400, &c->rekey_at);
	c->reauth = view_duration(&v, "reauth_time", 0, NULL);
	c->wants_vip = *view_get(&v, "vips", "") != '\0';
	c->aggressive = strcasecmp(view_get(&v, "aggressive", "no"), "yes") == 0;
	conn_read_pools(c, root, view_get(&v, "pools", NULL));

	view_sub(&children, root, &v, "children");
	for (size_t i = 0; i < children.n; i++)
		for (size_t k = 0; k < children.sec[i]->n_child; k++) {
			const struct conf_node *ch = children.sec[i]->child[k];
			bool dup = false;
			if (ch->type != CONF_SECTION || c->n_child >= DOCTOR_CONF_MAX_CHILDREN)
				continue;
			for (size_t j = 0; j < c->n_child; j++)
				dup |= strcmp(c->child[j].name, ch->name) == 0;
			if (dup)
				continue;
			c->child = xrealloc(c->child, (c->n_child + 1) * sizeof(*c->child));
			memset(&c->child[c->n_child], 0, sizeof(c->child[0]));
			view_sub(&cv, root, &children, ch->name);
			child_normalize(&c->child[c->n_child], &cv, errs);
			if (!c->bad && c->child[c->n_child].bad) {
				c->bad = xasprintf("child %s: %s", ch->name, c->child[c->n_child].bad);
				c->bad_at = c->child[c->n_child].esp_at;
			}
			c->n_child++;
		}
	c->local_only = c->n_child > 0;
	for (size_t i = 0; i < c->n_child; i++)
		c->local_only &= c->child[i].local_policy;
}

/* Add the owners of one id* key: an identity, or addresses, subnets and ranges (blank-
 * separated; kept as "net:..." to be matched as ranges). */
static void side_add_owners(struct dc_secret *d, const char *value)
{
	char **w;
	size_t n = split_list_by(value, " \t", &w, DOCTOR_CONF_MAX_ADDRS);
	bool nets = n > 0;
	struct dc_range r;

	for (size_t i = 0; i < n; i++)
		nets &= doctor_conf_side_parse_range(w[i], &r) && !doctor_conf_side_parse_ip(w[i], &r);
	for (size_t i = 0; nets && i < n && d->n_owner < DOCTOR_CONF_MAX_ADDRS; i++) {
		d->owner = xrealloc(d->owner, (d->n_owner + 1) * sizeof(*d->owner));
		d->owner[d->n_owner++] = xasprintf("net:%s", w[i]);
	}
	if (!nets && d->n_owner < DOCTOR_CONF_MAX_ADDRS) {
		d->owner = xrealloc(d->owner, (d->n_owner + 1) * sizeof(*d->owner));
		d->owner[d->n_owner++] = doctor_conf_side_id_normalize(value);
	}
	doctor_conf_side_strv_free(w, n);
}

/* Read the ike* secrets: owners normalized, values hashed (the value itself is not kept). */
static void side_read_secrets(struct doctor_conf_side *s, const struct conf_node *root)
{
	const struct conf_node *secrets = conf_find(root, "secrets", CONF_SECTION);

	for (size_t i = 0; secrets && i < secrets->n_child && s->n_secret < DOCTOR_CONF_MAX_SECRETS; i++) {
		const struct conf_node *sec = secrets->child[i], *val;
		struct dc_secret *d;
		struct buf raw;

		if (sec->type != CONF_SECTION || !str_startswith(sec->name, "ike"))
			continue;
		val = conf_find(sec, "secret", CONF_KV);
		if (!val || !val->value)
			continue;
		buf_init(&raw);
		if (swanctl_msg_secret_decode(val->value, &raw) != 0) {
			buf_free_secret(&raw);
			continue;
		}
		s->secret = xrealloc(s->secret, (s->n_secret + 1) * sizeof(*s->secret));
		d = &s->secret[s->n_secret++];
		memset(d, 0, sizeof(*d));
		sha256_hex(raw.data ? raw.data : "", raw.len, d->hash);
		buf_free_secret(&raw);
		d->at = val;
		for (size_t k = 0; k < sec->n_child; k++) {
			const struct conf_node *o = sec->child[k];
			if (o->type != CONF_KV || !str_startswith(o->name, "id") || !o->value ||
			    d->n_owner >= DOCTOR_CONF_MAX_ADDRS)
				continue;
			side_add_owners(d, o->value);
		}
	}
}

/* Rank of identity id (normalized) against a secret's owner, as charon's identities rank a
 * match: 20 the same, 19 an address inside a subnet or range or one leading '*' wildcard,
 * 2 any address (0.0.0.0/0, ::/0), 1 an owner %any (or a lone '*'), 0 no match. */
static int owner_match(const char *owner, const char *id)
{
	struct dc_range o, a;
	const char *colon;

	if (strcmp(owner, "%any") == 0)
		return 1;
	if (strcmp(id, "%any") == 0)
		return 0;
	if (str_startswith(owner, "net:")) {
		static const unsigned char ones[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
							0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		static const unsigned char zeroes[16] = { 0 };
		size_t len;
		if (!str_startswith(id, "ip:") || !doctor_conf_side_parse_range(owner + 4, &o) ||
		    !doctor_conf_side_parse_ip(id + 3, &a) || !doctor_conf_side_range_contains(&o, &a))
			return 0;
		len = o.fam == 4 ? 4 : 16;
		if (memcmp(o.lo, zeroes, len) == 0 && memcmp(o.hi, ones, len) == 0)
			return 2;
		return doctor_conf_side_range_eq(&o, &a) ? 20 : 19;
	}
	if (strcasecmp(owner, id) == 0)
		return 20;
	colon = strchr(owner, ':');
	if (colon && strcmp(colon + 1, "*") == 0)
		return str_startswith(id, "fqdn:") || str_startswith(id, "email:") ? 1 : 0;
	return strchr(owner, '*') && fnmatch(owner, id, FNM_CASEFOLD) == 0 ? 19 : 0;
}

/* The best rank of any owner of d for id; a secret without owners is owned by %any. */
static int owners_match(const struct dc_secret *d, const char *id)
{
	int best = d->n_owner ? 0 : 1;

	for (size_t i = 0; i < d->n_owner; i++) {
		int m = owner_match(d->owner[i], id);
		best = m > best ? m : best;
	}
	return best;
}

const struct dc_secret *doctor_conf_side_find_psk(const struct doctor_conf_side *s, const char *me, const char *other)
{
	const struct dc_secret *best = NULL;
	int best_me = 0, best_other = 0;

	for (size_t i = 0; i < s->n_secret; i++) {
		const struct dc_secret *d = &s->secret[i];
		int m = owners_match(d, me), o = owners_match(d, other);
		if (!m && !o)
			continue;
		if (!best || o > best_other || (o == best_other && m > best_me)) {
			best = d;
			best_me = m;
			best_other = o;
		}
	}
	return best;
}

static void conn_free(struct dc_conn *c)
{
	doctor_conf_side_strv_free(c->laddr, c->n_laddr);
	doctor_conf_side_strv_free(c->raddr, c->n_raddr);
	free(c->lid);
	free(c->rid);
	doctor_props_free(c->ike, c->n_ike);
	for (size_t i = 0; i < c->n_child; i++) {
		free(c->child[i].lts);
		free(c->child[i].rts);
		doctor_props_free(c->child[i].esp, c->child[i].n_esp);
		free(c->child[i].bad);
	}
	free(c->child);
	free(c->bad);
}

/* Remember the files of a certs/cacerts key (once each) for the reader to load. */
static void side_want_creds(struct doctor_conf_side *s, const char *key, const struct conf_node *kv)
{
	char **v;
	size_t n = kv && kv->value ? doctor_conf_side_split_files(kv->value, &v, DOCTOR_CONF_MAX_ADDRS) : 0;

	for (size_t i = 0; i < n; i++) {
		bool dup = false;
		for (size_t k = 0; k < s->n_cred && !dup; k++)
			dup = strcmp(s->cred[k].key, key) == 0 && strcmp(s->cred[k].path, v[i]) == 0;
		if (dup || s->n_cred >= DOCTOR_CONF_MAX_CREDS)
			continue;
		s->cred = xrealloc(s->cred, (s->n_cred + 1) * sizeof(*s->cred));
		memset(&s->cred[s->n_cred], 0, sizeof(s->cred[0]));
		s->cred[s->n_cred].key = xstrdup(key);
		s->cred[s->n_cred].path = xstrdup(v[i]);
		buf_init(&s->cred[s->n_cred].der);
		s->n_cred++;
	}
	if (n)
		doctor_conf_side_strv_free(v, n);
}

/* Whether another connection inherits from conn (`x : connections.NAME`) and conn has no
 * child of its own: a template, which the user does not mean as a tunnel of its own, so it
 * is not judged. One with children is a connection charon loads and uses like any other. */
static bool is_template(const struct conf_node *conns, const struct conf_node *conn)
{
	const struct conf_node *children = conf_find(conn, "children", CONF_SECTION);
	char *path = xasprintf("connections.%s", conn->name);
	bool used = false;

	for (size_t i = 0; children && i < children->n_child; i++)
		if (children->child[i]->type == CONF_SECTION) {
			free(path);
			return false;
		}

	for (size_t i = 0; i < conns->n_child && !used; i++) {
		const struct conf_node *c = conns->child[i];
		char *copy, *save = NULL;
		if (c == conn || c->type != CONF_SECTION || !c->refs)
			continue;
		copy = xstrdup(c->refs);
		for (char *p = strtok_r(copy, ", \t", &save); p && !used; p = strtok_r(NULL, ", \t", &save))
			used = strcmp(p, path) == 0;
		free(copy);
	}
	free(path);
	return used;
}

struct doctor_conf_side *doctor_conf_side_from_swanctl(struct conf_tree *tree, struct tc_errors *errs)
{
	struct doctor_conf_side *s = xcalloc(1, sizeof(*s));
	const struct conf_node *conns = conf_find(tree->root, "connections", CONF_SECTION);

	s->tree = tree;
	side_read_secrets(s, tree->root);
	for (size_t i = 0; conns && i < conns->n_child; i++) {
		const struct conf_node *c = conns->child[i];
		if (c->type != CONF_SECTION || is_template(conns, c))
			continue;
		if (s->n_conn >= DOCTOR_CONF_MAX_CONNS) {
			tc_errors_add(errs, true, c->file, c->line, c->col,
				      "more than %d connections; the rest are not compared", DOCTOR_CONF_MAX_CONNS);
			break;
		}
		s->conn = xrealloc(s->conn, (s->n_conn + 1) * sizeof(*s->conn));
		memset(&s->conn[s->n_conn], 0, sizeof(s->conn[0]));
		conn_normalize(&s->conn[s->n_conn], tree->root, c, errs);
		s->conn[s->n_conn].side = s;
		side_want_creds(s, "certs", s->conn[s->n_conn].lcert_at);
		side_want_creds(s, "cacerts", s->conn[s->n_conn].rca_at);
		s->n_conn++;
	}
	return s;
}

/* Point each connection and child at the tunnel file sections they were compiled from. */
static void side_link_tunnel(struct doctor_conf_side *s)
{
	const struct conf_node *tunnels = conf_find(s->tf->tree->root, "tunnels", CONF_SECTION);

	for (size_t i = 0; i < s->n_conn; i++) {
		struct dc_conn *c = &s->conn[i];
		unsigned ikeid, reqid;
		char num[16];

		if (!naming_parse(c->name, &ikeid, &reqid))
			continue;
		snprintf(num, sizeof(num), "%u", ikeid);
		c->tsec = conf_find(tunnels, num, CONF_SECTION);
		const struct tunnel_phase1 *p1 = tunnel_find_p1(s->tf, ikeid);
		c->psk_unknown = p1 && p1->auth == TUNNEL_AUTH_PSK && !p1->psk && p1->psk_file;
		for (size_t k = 0; k < c->n_child; k++) {
			const struct conf_node *p2 = conf_find(c->tsec, "phase2", CONF_SECTION);
			struct dc_child *ch = &c->child[k];
			if (naming_parse(ch->name, &ikeid, &reqid) && reqid) {
				snprintf(num, sizeof(num), "%u", reqid);
				ch->tsec = conf_find(p2, num, CONF_SECTION);
			}
			for (size_t j = 0; !ch->tsec && p2 && j < p2->n_child; j++)
				if (p2->child[j]->type == CONF_SECTION)
					ch->tsec = p2->child[j];
		}
	}
}

struct doctor_conf_side *doctor_conf_side_from_tunnel(struct tunnel_file *tf, struct tc_errors *errs)
{
	struct compile_opts o = { .show_secrets = true };
	struct tc_errors cerrs = { 0 };
	struct conf_tree *tree;
	struct doctor_conf_side *s;
	struct buf b;

	buf_init(&b);
	compile_swanctl(&b, tf, &o);
	tree = conf_parse("(compiled)", b.data, b.len, NULL, &cerrs);
	buf_free_secret(&b);
	tc_errors_free(&cerrs);
	s = doctor_conf_side_from_swanctl(tree, errs);
	s->tf = tf;
	side_link_tunnel(s);
	return s;
}

void doctor_conf_side_add_text(struct doctor_conf_side *s, const char *path, const char *data, size_t len)
{
	s->text = xrealloc(s->text, (s->n_text + 1) * sizeof(*s->text));
	s->text[s->n_text].path = xstrdup(path);
	s->text[s->n_text].data = xmalloc(len + 1);
	memcpy(s->text[s->n_text].data, data, len);
	s->text[s->n_text].data[len] = '\0';
	s->text[s->n_text].len = len;
	s->n_text++;
}

void doctor_conf_side_set_xml(struct doctor_conf_side *s, const char *path, const char *xml, size_t len)
{
	doctor_conf_xml_free(s->xml);
	free(s->xml_path);
	s->xml = doctor_conf_xml_build(xml, len);
	s->xml_path = xstrdup(path);
	doctor_conf_side_add_text(s, path, xml, len);
}

size_t doctor_conf_side_cred_count(const struct doctor_conf_side *s)
{
	return s->n_cred;
}

void doctor_conf_side_cred_name(const struct doctor_conf_side *s, size_t i, const char **key, const char **path)
{
	*key = s->cred[i].key;
	*path = s->cred[i].path;
}

int doctor_conf_side_cred_set(struct doctor_conf_side *s, size_t i, const void *data, size_t len)
{
	struct dc_cred *c = &s->cred[i];

	buf_free(&c->der);
	buf_init(&c->der);
	c->loaded = x509_to_der(data, len, &c->der) == 0 && x509_parse(c->der.data, c->der.len, &c->info) == 0;
	return c->loaded ? 0 : -EBADMSG;
}

int doctor_conf_side_cred_add(struct doctor_conf_side *s, const char *path)
{
	if (s->n_cred >= DOCTOR_CONF_MAX_CREDS)
		return -ENOSPC;
	s->cred = xrealloc(s->cred, (s->n_cred + 1) * sizeof(*s->cred));
	memset(&s->cred[s->n_cred], 0, sizeof(s->cred[0]));
	s->cred[s->n_cred].key = xstrdup("x509ca");
	s->cred[s->n_cred].path = xstrdup(path);
	buf_init(&s->cred[s->n_cred].der);
	return (int)s->n_cred++;
}

size_t doctor_conf_side_files(const struct doctor_conf_side *s, const char *const **files)
{
	const struct conf_tree *t = s->tf ? s->tf->tree : s->tree;

	*files = (const char *const *)t->files;
	return t->n_files;
}

size_t doctor_conf_side_count(const struct doctor_conf_side *s)
{
	return s->n_conn;
}

void doctor_conf_side_free(struct doctor_conf_side *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_conn; i++)
		conn_free(&s->conn[i]);
	free(s->conn);
	for (size_t i = 0; i < s->n_text; i++) {
		free(s->text[i].path);
		secret_wipe(s->text[i].data, s->text[i].len);
		free(s->text[i].data);
	}
	free(s->text);
	for (size_t i = 0; i < s->n_secret; i++)
		doctor_conf_side_strv_free(s->secret[i].owner, s->secret[i].n_owner);
	free(s->secret);
	conf_tree_free(s->tree);
	tunnel_file_free(s->tf);
	doctor_conf_xml_free(s->xml);
	free(s->xml_path);
	for (size_t i = 0; i < s->n_cred; i++) {
		free(s->cred[i].key);
		free(s->cred[i].path);
		buf_free(&s->cred[i].der);
	}
	free(s->cred);
	free(s);
}
