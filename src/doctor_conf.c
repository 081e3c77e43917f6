/* doctor_conf.c - two sides' configs paired and negotiated as charon would, exchange by
 * exchange, into verdicts with evidence (the sides are built by doctor_conf_side.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "doctor_conf.h"
#include "doctor_conf_side.h"
#include "doctor_conf_xml.h"
#include "doctor_props.h"
#include "x509.h"

/* ---- evidence -------------------------------------------------------------------------- */

/* What a verdict is being built from: the doctor for input labels, both sides. */
struct dc_ctx {
	struct doctor *d;
	const struct doctor_conf_side *side[2];	/* [0] local, [1] peer */
	struct doctor_verdict *v;		/* growing arrays */
	size_t n, cap;
	struct doctor_verdict *w;
	size_t nw, capw;
	struct {
		const char *name;
		unsigned input;
	} *files;			/* files cited so far and their input index */
	size_t n_files;
};

/* The text of file:line from the side's texts, trimmed; NULL if not available. */
static char *line_text(const struct doctor_conf_side *s, const char *file, unsigned line)
{
	for (size_t i = 0; i < s->n_text; i++) {
		const char *p = s->text[i].data, *end = p + s->text[i].len;
		if (strcmp(s->text[i].path, file) != 0)
			continue;
		for (unsigned l = 1; l < line && p < end; l++) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			p = nl ? nl + 1 : end;
		}
		const char *e = memchr(p, '\n', (size_t)(end - p));
		e = e ? e : end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e - p > DOCTOR_MAX_EVIDENCE_TEXT)
			e = p + DOCTOR_MAX_EVIDENCE_TEXT;
		return xstrndup(p, (size_t)(e - p));
	}
	return NULL;
}

/* The doctor's input index for a cited file, registered on first use. */
static unsigned input_of(struct dc_ctx *x, const char *file)
{
	for (size_t i = 0; i < x->n_files; i++)
		if (strcmp(x->files[i].name, file) == 0)
			return x->files[i].input;
	x->files = xrealloc(x->files, (x->n_files + 1) * sizeof(*x->files));
	x->files[x->n_files].name = file;
	x->files[x->n_files].input = doctor_add_input(x->d, file);
	return x->files[x->n_files++].input;
}

/* config.xml elements behind tunnel-file keys, in phase 1 and phase 2 entries. */
static const struct {
	const char *key, *p1, *p2;
} xml_elems[] = {
	{ "version", "iketype", NULL },		{ "local_address", "interface", NULL },
	{ "interface", "interface", NULL },	{ "remote_gateway", "remote-gateway", NULL },
	{ "local_id", "myid_type", NULL },	{ "remote_id", "peerid_type", NULL },
	{ "auth", "authentication_method", NULL }, { "psk", "pre-shared-key", NULL },
	{ "encryption", "encryption-algorithm", "encryption-algorithm-option" },
	{ "hash", "hash-algorithm", "hash-algorithm-option" },
	{ "prf", "prf-algorithm", NULL },	{ "dh_group", "dhgroup", NULL },
	{ "pfs_group", NULL, "pfsgroup" },	{ "lifetime", "lifetime", "lifetime" },
	{ "dpd_delay", "dpd_delay", NULL },	{ "nat_traversal", "nat_traversal", NULL },
	{ "start_action", "startaction", NULL }, { "close_action", "closeaction", NULL },
	{ "local", NULL, "localid" },		{ "remote", NULL, "remoteid" },
	{ "mode", NULL, "mode" },		{ "protocol", NULL, "protocol" },
};

/* The config.xml line of a node of the tunnel file imported from it: the element behind the
 * key in its phase 1 (ikeid) or phase 2 (reqid) entry, else the entry's first line. */
static unsigned xml_line_of(const struct doctor_conf_side *s, const struct conf_node *n)
{
	unsigned ikeid = 0, reqid = 0, item = 0, entry = 0, line = 0;

	for (const struct conf_node *c = n; c && c->parent; c = c->parent) {
		const char *pn = c->parent->name;
		if (c->type != CONF_SECTION || !pn)
			continue;
		if (strcmp(pn, "tunnels") == 0)
			ikeid = (unsigned)atoi(c->name);
		else if (strcmp(pn, "phase2") == 0)
			reqid = (unsigned)atoi(c->name);
		else if (strcmp(pn, "proposals") == 0)
			item = (unsigned)atoi(c->name);
	}
	for (size_t i = 0; n->type == CONF_KV && i < ARRAY_SIZE(xml_elems); i++) {
		const char *e = reqid ? xml_elems[i].p2 : xml_elems[i].p1;
		if (e && strcmp(xml_elems[i].key, n->name) == 0)
			line = doctor_conf_xml_line(s->xml, ikeid, reqid, e, reqid ? 0 : item, &entry);
	}
	if (!line)
		doctor_conf_xml_line(s->xml, ikeid, reqid, "", 0, &entry);
	return line ? line : entry;
}

/* A config.xml line with its element's text hidden: <pre-shared-key><hidden></pre-shared-key>. */
static char *xml_hide_value(const char *text)
{
	const char *gt = strchr(text, '>'), *lt = gt ? strrchr(gt, '<') : NULL;

	if (!gt || !lt || lt <= gt)
		return xstrdup("<hidden>");
	return xasprintf("%.*s<hidden>%s", (int)(gt + 1 - text), text, lt);
}

/* Add node n of side s as evidence; secrets are never quoted. */
static void ev_add(struct dc_ctx *x, struct doctor_verdict *v, const struct doctor_conf_side *s,
		   const struct conf_node *n, bool secret)
{
	const char *file;
	unsigned line;
	char *text;

	if (!n || !n->file || strcmp(n->file, "(compiled)") == 0 || v->n_ev >= DOCTOR_MAX_EVIDENCE)
		return;
	file = n->file;
	line = n->line;
	if (s->xml && strcmp(file, s->xml_path) != 0) {
		file = s->xml_path;
		if ((line = xml_line_of(s, n)) == 0)
			return;
	}
	for (size_t i = 0; i < v->n_ev; i++)
		if (v->ev[i].line == line && strcmp(doctor_input_label(x->d, v->ev[i].input), file) == 0)
			return;
	text = line_text(s, file, line);
	if (secret && text && s->xml) {
		char *hidden = xml_hide_value(text);
		secret_free(text);
		text = hidden;
	} else if (secret || !text) {
		secret_free(text);
		text = n->type == CONF_KV ? xasprintf("%s = %s", n->name, secret ? "<hidden>" : n->value)
					  : xasprintf("%s {", n->name);
	}
	v->ev[v->n_ev].input = input_of(x, file);
	v->ev[v->n_ev].line = line;
	v->ev[v->n_ev].text = text;
	v->n_ev++;
}

/* The tunnel file key (searched in sec and its subsections), else the section itself. */
static const struct conf_node *tunnel_key(const struct conf_node *sec, const char *key)
{
	const struct conf_node *n;

	if (!sec)
		return NULL;
	if ((n = conf_find(sec, key, CONF_KV)))
		return n;
	/* proposals { N { key } }: two levels down, never into phase2 */
	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *c = sec->child[i];
		if (c->type != CONF_SECTION || strcmp(c->name, "phase2") == 0)
			continue;
		if ((n = conf_find(c, key, CONF_KV)))
			return n;
		for (size_t k = 0; k < c->n_child; k++)
			if (c->child[k]->type == CONF_SECTION && (n = conf_find(c->child[k], key, CONF_KV)))
				return n;
	}
	return NULL;
}

/* Evidence for a connection key: the swanctl node, or the tunnel file keys (first found of
 * a space-separated list, the phase 1 section when none is written). */
static void ev_conn(struct dc_ctx *x, struct doctor_verdict *v, int side, const struct dc_conn *c,
		    const struct conf_node *swan, const char *tkeys, bool secret)
{
	const struct doctor_conf_side *s = x->side[side];

	if (!c->tsec) {
		ev_add(x, v, s, swan ? swan : c->sec, secret);
		return;
	}
	char *copy = xstrdup(tkeys), *save = NULL;
	bool any = false;
	for (char *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		const struct conf_node *n = tunnel_key(c->tsec, k);
		if (n) {
			ev_add(x, v, s, n, secret);
			any = true;
		}
	}
	free(copy);
	if (!any)
		ev_add(x, v, s, c->tsec, false);
}

static void ev_child(struct dc_ctx *x, struct doctor_verdict *v, int side, const struct dc_conn *c,
		     const struct dc_child *ch, const struct conf_node *swan, const char *tkeys)
{
	const struct doctor_conf_side *s = x->side[side];

	if (!ch->tsec) {
		if (c->tsec)
			ev_conn(x, v, side, c, NULL, tkeys, false);
		else
			ev_add(x, v, s, swan ? swan : ch->sec, false);
		return;
	}
	char *copy = xstrdup(tkeys), *save = NULL;
	bool any = false;
	for (char *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
		const struct conf_node *n = conf_find(ch->tsec, k, CONF_KV);
		if (!n && (strcmp(k, "start_action") == 0 || strcmp(k, "close_action") == 0))
			n = conf_find(c->tsec, k, CONF_KV);
		if (n) {
			ev_add(x, v, s, n, false);
			any = true;
		}
	}
	free(copy);
	if (!any)
		ev_add(x, v, s, ch->tsec, false);
}

static struct doctor_verdict *verdict_new(struct dc_ctx *x, bool warning, enum doctor_class cls,
					  const char *tunnel, const char *side)
{
	struct doctor_verdict **arr = warning ? &x->w : &x->v;
	size_t *n = warning ? &x->nw : &x->n, *cap = warning ? &x->capw : &x->cap;
	struct doctor_verdict *v;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*arr = xrealloc(*arr, *cap * sizeof(**arr));
	}
	v = &(*arr)[(*n)++];
	memset(v, 0, sizeof(*v));
	v->cls = cls;
	v->tunnel = xstrdup(tunnel);
	v->side = side;
	return v;
}

/* ---- pairing --------------------------------------------------------------------------- */

/* How well address list `want` (one side's remote_addrs) accepts the addresses `have` (the
 * other side's local_addrs): 3 an exact or contained address, 2 a host name (not resolved:
 * the doctor does no DNS), 1 %any, 0 no. */
static int addrs_match(char *const *want, size_t nw, char *const *have, size_t nh)
{
	int best = 0;

	for (size_t i = 0; i < nw; i++) {
		struct dc_range w, h;
		if (strcmp(want[i], "%any") == 0 || strcmp(want[i], "%any6") == 0 ||
		    strcmp(want[i], "0.0.0.0/0") == 0 || strcmp(want[i], "::/0") == 0) {
			best = best > 1 ? best : 1;
			continue;
		}
		bool name = !doctor_conf_side_parse_range(want[i], &w);
		for (size_t k = 0; k < nh; k++) {
			if (strcasecmp(want[i], have[k]) == 0 ||
			    (!name && doctor_conf_side_parse_range(have[k], &h) && doctor_conf_side_range_contains(&w, &h)))
				best = 3;
			else if (name || strcmp(have[k], "%any") == 0)
				best = best > 2 ? best : name ? 2 : 1;
		}
	}
	return best;
}

/* Pairing score of local connection a with peer connection b; 0 = not a pair. Addresses
 * first (charon finds an IKE config by them), then, as charon picks among the peer configs
 * that accept the addresses in IKE_AUTH, the identities both ways and the authentication
 * methods (a psk and a pubkey connection both on %any: the one the peer's method fits). */
static int pair_score(const struct dc_conn *a, const struct dc_conn *b)
{
	int ab = addrs_match(a->raddr, a->n_raddr, b->laddr, b->n_laddr);
	int ba = addrs_match(b->raddr, b->n_raddr, a->laddr, a->n_laddr);
	int ids = doctor_conf_side_id_matches(a->rid, b->lid) + doctor_conf_side_id_matches(b->rid, a->lid);
	int auth = (strcmp(a->lauth, b->rauth) == 0) + (strcmp(b->lauth, a->rauth) == 0);

	if (ab == 0 || ba == 0)
		return 0;
	return ab * 100 + ba * 100 + ids * 10 + auth * 2;
}

/* ---- negotiation ----------------------------------------------------------------------- */

/* What happens when `ini` initiates to `res`: a class (HEALTHY when it works) and why. */
struct dc_outcome {
	enum doctor_class cls;
	char *why;
	int child_i, child_r;		/* children involved, -1 if none */
	bool tf_diff[DOCTOR_XF_COUNT];		/* proposal transforms that differ */
	const struct dc_secret *psk[2];	/* PSKs picked by initiator and responder */
	int cert_dir;			/* cert_problem: 0 the responder distrusts, 1 the initiator */
	bool cert_policy;		/* cert_problem: the verifier's remote.cert_policy decides */
};

static bool ts_list_eq(const struct dc_ts *a, size_t na, const struct dc_ts *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t k = 0; k < nb && !found; k++)
			found = a[i].dynamic == b[k].dynamic && (a[i].dynamic || doctor_conf_side_range_eq(&a[i].r, &b[k].r));
		if (!found)
			return false;
	}
	return true;
}

/* Replace dynamic selectors by the address they stand for, when it is known (addr); an
 * unknown one (behind NAT, no local_addrs, a pool charon fills at run time) stays dynamic. */
static size_t ts_resolve(const struct dc_ts *in, size_t n, const struct dc_range *addr, struct dc_ts *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = in[i];
		if (in[i].dynamic && addr) {
			out[i].dynamic = false;
			out[i].r = *addr;
		}
	}
	return n;
}

/* Intersection of two selector lists (what a responder narrows to). An unknown `dynamic`
 * address is taken to be inside what the other side allows: charon checks it at run time. */
static size_t ts_intersect(const struct dc_ts *a, size_t na, const struct dc_ts *b, size_t nb,
			   struct dc_ts *out)
{
	size_t n = 0;

	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb && n < DOCTOR_CONF_MAX_TS; k++) {
			if (a[i].dynamic || b[k].dynamic) {
				out[n].dynamic = true;
				memset(&out[n].r, 0, sizeof(out[n].r));
				n++;
				continue;
			}
			if (doctor_conf_side_range_intersect(&a[i].r, &b[k].r, &out[n].r)) {
				out[n].dynamic = false;
				n++;
			}
		}
	return n;
}

struct dc_tsnego {
	struct dc_ts ini_l[DOCTOR_CONF_MAX_TS], ini_r[DOCTOR_CONF_MAX_TS], res_l[DOCTOR_CONF_MAX_TS], res_r[DOCTOR_CONF_MAX_TS];
	struct dc_ts tsi[DOCTOR_CONF_MAX_TS], tsr[DOCTOR_CONF_MAX_TS];
	size_t n_il, n_ir, n_rl, n_rr, n_tsi, n_tsr;
};

/* The address `dynamic` stands for on c's own side when it talks to peer: a virtual IP from
 * peer's pool when c asks for one (unknown without a literal pool), else c's literal local
 * address, else the literal address peer reaches it at; NULL when unknown (NAT, %any). */
static const struct dc_range *ts_host(const struct dc_conn *c, const struct dc_conn *peer, struct dc_range *buf)
{
	const char *ip;

	if (c->wants_vip)
		return peer->has_pool ? &peer->pool : NULL;
	ip = doctor_conf_side_first_ip(c->laddr, c->n_laddr);
	if (!ip)
		ip = doctor_conf_side_first_ip(peer->raddr, peer->n_raddr);
	return ip && doctor_conf_side_parse_ip(ip, buf) ? buf : NULL;
}

static void ts_negotiate(const struct dc_conn *ic, const struct dc_child *ich, const struct dc_conn *rc,
			 const struct dc_child *rch, struct dc_tsnego *t)
{
	struct dc_range ib, rb;
	const struct dc_range *ihost = ts_host(ic, rc, &ib), *rhost = ts_host(rc, ic, &rb);

	t->n_il = ts_resolve(ich->lts, ich->n_lts, ihost, t->ini_l);
	t->n_ir = ts_resolve(ich->rts, ich->n_rts, rhost, t->ini_r);
	t->n_rl = ts_resolve(rch->lts, rch->n_lts, rhost, t->res_l);
	t->n_rr = ts_resolve(rch->rts, rch->n_rts, ihost, t->res_r);
	t->n_tsi = ts_intersect(t->ini_l, t->n_il, t->res_r, t->n_rr, t->tsi);
	t->n_tsr = ts_intersect(t->ini_r, t->n_ir, t->res_l, t->n_rl, t->tsr);
}

/* The responder's child for the initiator's child: the one whose selectors mirror it, else
 * the first that intersects, else -1. */
static int child_select(const struct dc_conn *ic, const struct dc_child *ich, const struct dc_conn *rc)
{
	int partial = -1;
	struct dc_tsnego *t = xmalloc(sizeof(*t));

	for (size_t k = 0; k < rc->n_child; k++) {
		ts_negotiate(ic, ich, rc, &rc->child[k], t);
		if (t->n_tsi && t->n_tsr) {
			if (ts_list_eq(t->ini_l, t->n_il, t->res_r, t->n_rr) &&
			    ts_list_eq(t->ini_r, t->n_ir, t->res_l, t->n_rl)) {
				free(t);
				return (int)k;
			}
			if (partial < 0)
				partial = (int)k;
		}
	}
	free(t);
	return partial;
}

static void outcome_set(struct dc_outcome *o, enum doctor_class cls, char *why)
{
	o->cls = cls;
	free(o->why);
	o->why = why;
}

/* The loaded certificate of side s named by key/path, or NULL. */
static const struct dc_cred *cred_find(const struct doctor_conf_side *s, const char *key, const char *path)
{
	for (size_t i = 0; i < s->n_cred; i++)
		if (s->cred[i].loaded && strcmp(s->cred[i].key, key) == 0 && strcmp(s->cred[i].path, path) == 0)
			return &s->cred[i];
	return NULL;
}

/* Whether ca issued cert: key identifiers when both have them, else the names. */
static bool cred_issued(const struct dc_cred *ca, const struct dc_cred *cert)
{
	const struct x509_info *c = &cert->info, *a = &ca->info;

	if (c->aki && a->ski)
		return c->aki_len == a->ski_len && memcmp(c->aki, a->ski, c->aki_len) == 0;
	return c->issuer_len == a->subject_len && memcmp(c->issuer, a->subject, c->issuer_len) == 0;
}

/* Whether c is self-signed (a root): its issuer is its subject, and its key identifiers,
 * when it has both, are the same. */
static bool cred_self_signed(const struct dc_cred *c)
{
	const struct x509_info *i = &c->info;

	if (i->issuer_len != i->subject_len || memcmp(i->issuer, i->subject, i->issuer_len) != 0)
		return false;
	return !i->aki || !i->ski || (i->aki_len == i->ski_len && memcmp(i->aki, i->ski, i->aki_len) == 0);
}

/* Whether a and b are the same certificate (byte for byte). */
static bool cred_same(const struct dc_cred *a, const struct dc_cred *b)
{
	return a->der.len == b->der.len && memcmp(a->der.data, b->der.data, a->der.len) == 0;
}

/* A CA certificate of either side (cacerts files and the x509ca/ directory: intermediates
 * charon loads, and sends along) that issued cert, other than cert itself; NULL if none. */
static const struct dc_cred *chain_issuer_ca(const struct dc_conn *a, const struct dc_conn *b,
					     const struct dc_cred *cert, unsigned want_ca)
{
	const struct doctor_conf_side *sides[2] = { a->side, b->side };

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sides[k]->n_cred; i++) {
			const struct dc_cred *c = &sides[k]->cred[i];
			if (c != cert && c->loaded && !c->info.crit_oid && strcmp(c->key, "certs") != 0 &&
			    (c->info.flags & X509_F_CA) == want_ca && cred_issued(c, cert))
				return c;
		}
	return NULL;
}

/* A certificate of either side that would have issued cert but that charon refuses to
 * load (cred_refused), or NULL. */
static const struct dc_cred *chain_issuer_refused(const struct dc_conn *a, const struct dc_conn *b,
						  const struct dc_cred *cert)
{
	const struct doctor_conf_side *sides[2] = { a->side, b->side };

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sides[k]->n_cred; i++) {
			const struct dc_cred *c = &sides[k]->cred[i];
			if (c != cert && c->loaded && c->info.crit_oid && strcmp(c->key, "certs") != 0 &&
			    cred_issued(c, cert))
				return c;
		}
	return NULL;
}

/* The CA certificate that issued cert (charon's x509_cert.c issued_by accepts only an
 * issuer with the CA basic constraint), as chain_issuer_ca. */
static const struct dc_cred *chain_issuer(const struct dc_conn *a, const struct dc_conn *b,
					  const struct dc_cred *cert)
{
	return chain_issuer_ca(a, b, cert, X509_F_CA);
}

/* Why a certificate is outside its validity at now ("expired on 2021-01-01"), or NULL. */
static char *cert_dates(const struct dc_cred *c, time_t now)
{
	char when[32];
	struct tm tm;
	bool expired = c->info.not_after && now > c->info.not_after;

	if (!expired && !(c->info.not_before && now < c->info.not_before))
		return NULL;
	gmtime_r(expired ? &c->info.not_after : &c->info.not_before, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	return xasprintf("%s %s", expired ? "expired on" : "is not valid before", when);
}

/* Why charon cannot load cred (a critical extension neither its x509 nor its openssl
 * plugin parses: "critical '...' extension not supported", "found unsupported critical
 * X.509 extension: OID") and so what (the words after "so"), or NULL. Caller frees. */
static char *cred_refused(const struct dc_cred *cred, const char *so)
{
	struct buf oid;
	char *why;

	if (!cred || !cred->info.crit_oid)
		return NULL;
	buf_init(&oid);
	if (x509_oid_text(cred->info.crit_oid, cred->info.crit_oid_len, &oid))
		buf_adds(&oid, "?");
	why = xasprintf("refuses to load certificate %s: it has a critical extension charon does not "
			"support (%s), so %s (strongswan.conf x509.enforce_critical = no would accept it)",
			cred->path, oid.data, so);
	buf_free(&oid);
	return why;
}

/* Whether verifier (its remote.cacerts) trusts sender's certificate (local.certs): the
 * chain from it through intermediate CAs either side holds up to one of those CAs, every
 * link within its dates at now. Unknown (a file not loaded, no cacerts: charon would try
 * every CA it has) counts as trusted. On false, *why says so in words (caller frees). */
static bool cert_trusted(const struct dc_conn *sender, const struct dc_conn *verifier, time_t now, char **why)
{
	const struct dc_cred *cert, *cur, *chain[DOCTOR_CONF_MAX_CHAIN];
	char **cas;
	size_t n, depth = 0;
	bool ok = false, known = true;
	struct buf issuer;

	if (!sender->lcert_at || !sender->lcert_at->value)
		return true;
	n = doctor_conf_side_split_files(sender->lcert_at->value, &cas, 1);
	cert = n ? cred_find(sender->side, "certs", cas[0]) : NULL;
	doctor_conf_side_strv_free(cas, n);
	if (!cert)
		return true;
	/* the chain as far as the certificates of both sides take it */
	for (cur = cert; cur && depth < DOCTOR_CONF_MAX_CHAIN; cur = chain_issuer(sender, verifier, cur)) {
		chain[depth++] = cur;
		if (cred_self_signed(cur))
			break;
	}
	for (size_t i = 0; i < depth; i++) {
		char *bad = cert_dates(chain[i], now);
		if (bad) {
			buf_init(&issuer);
			x509_dn_text(chain[i]->info.subject, chain[i]->info.subject_len, &issuer);
			*why = xasprintf("refuses the certificate it receives: %s \"%s\" %s",
					 i ? "its issuer" : "the certificate", issuer.data ? issuer.data : "?", bad);
			buf_free(&issuer);
			free(bad);
			return false;
		}
	}
	if (!verifier->rca_at || !verifier->rca_at->value)
		return true;
	n = doctor_conf_side_split_files(verifier->rca_at->value, &cas, DOCTOR_CONF_MAX_ADDRS);
	for (size_t i = 0; i < n && !ok; i++) {
		const struct dc_cred *ca = cred_find(verifier->side, "cacerts", cas[i]);
		if (!ca)
			known = false;
		for (size_t k = 0; ca && k < depth && !ok; k++)
			ok = cred_same(chain[k], ca) ||
			     (!cred_self_signed(chain[k]) && (ca->info.flags & X509_F_CA) && cred_issued(ca, chain[k]));
	}
	doctor_conf_side_strv_free(cas, n);
	if (ok || !known)
		return true;
	buf_init(&issuer);
	x509_dn_text(chain[depth - 1]->info.issuer, chain[depth - 1]->info.issuer_len, &issuer);
	cur = cred_self_signed(chain[depth - 1]) ? NULL : chain_issuer_refused(sender, verifier, chain[depth - 1]);
	if (cur) {
		char *r = cred_refused(cur, "the chain breaks there");
		*why = xasprintf("does not trust the certificate it receives: its issuer \"%s\" is missing, as "
				 "charon %s", issuer.data ? issuer.data : "?", r);
		free(r);
		buf_free(&issuer);
		return false;
	}
	cur = cred_self_signed(chain[depth - 1]) ? NULL : chain_issuer_ca(sender, verifier, chain[depth - 1], 0);
	if (cur) {
		*why = xasprintf("does not trust the certificate it receives: its issuer \"%s\" (%s) is not a "
				 "CA (no CA basic constraint), and charon takes only a CA as issuer",
				 issuer.data ? issuer.data : "?", cur->path);
		buf_free(&issuer);
		return false;
	}
	*why = xasprintf("does not trust the certificate it receives: issued by \"%s\"%s%s, and none of "
			 "its CA certificates (%s) is that issuer's key",
			 issuer.data ? issuer.data : "?", depth > 1 ? " at the top of its chain" : "",
			 cert->info.aki ? " (key identifier checked)" : "", verifier->rca_at->value);
	buf_free(&issuer);
	return false;
}

/* The sender's certificate: its first local.certs file, loaded; NULL if none or unread. */
static const struct dc_cred *sender_cert(const struct dc_conn *c)
{
	const struct dc_cred *cert;
	char **files;
	size_t n;

	if (!c->lcert_at || !c->lcert_at->value)
		return NULL;
	n = doctor_conf_side_split_files(c->lcert_at->value, &files, 1);
	cert = n ? cred_find(c->side, "certs", files[0]) : NULL;
	doctor_conf_side_strv_free(files, n);
	return cert;
}

/* Whether the certificates a pubkey exchange from sender to verifier rests on all load:
 * the sender's local.certs (else its connection fails to load: vici_config.c parse_cert)
 * and the verifier's remote.cacerts. On false, *why names the file (caller frees);
 * *verifier_side tells whose file it is. */
static bool certs_load(const struct dc_conn *sender, const struct dc_conn *verifier, char **why, bool *verifier_side)
{
	char **cas;
	size_t n;

	*verifier_side = false;
	*why = cred_refused(sender_cert(sender), "the connection naming it does not load");
	if (*why || !verifier->rca_at || !verifier->rca_at->value)
		return !*why;
	n = doctor_conf_side_split_files(verifier->rca_at->value, &cas, DOCTOR_CONF_MAX_ADDRS);
	for (size_t i = 0; i < n && !*why; i++)
		*why = cred_refused(cred_find(verifier->side, "cacerts", cas[i]),
				    "the connection naming it does not load");
	doctor_conf_side_strv_free(cas, n);
	*verifier_side = *why != NULL;
	return !*why;
}

/* Whether a certificate's name (normalized; a '*' is a wildcard, as charon's
 * identification matches takes it) stands for id: blanks do not count, for a DN written
 * "C=CH,O=x" is the DN "C=CH, O=x" to charon. */
static bool cert_name_matches(const char *name, const char *id)
{
	char *a = xstrdup(name), *b = xstrdup(id);
	size_t k = 0;
	bool m;

	for (size_t i = 0; a[i]; i++)
		if (a[i] != ' ')
			a[k++] = a[i];
	a[k] = '\0';
	k = 0;
	for (size_t i = 0; b[i]; i++)
		if (b[i] != ' ')
			b[k++] = b[i];
	b[k] = '\0';
	m = doctor_conf_side_id_matches(a, b);
	free(a);
	free(b);
	return m;
}

/* Whether the sender's certificate holds the identity it sends (id, normalized): as its
 * subject or one of its subjectAltNames, as charon's x509 has_subject compares them when
 * the verifier looks for a trusted public key for that identity (pubkey_authenticator.c
 * process: "no trusted ... public key found for '...'"). A key id (keyid:) or an unread
 * certificate is not judged. On false, *why lists what the certificate holds. */
static bool cert_holds_id(const struct dc_conn *sender, const char *id, char **why)
{
	const struct dc_cred *cert = sender_cert(sender);
	struct buf names, one;
	bool found = false;
	char *norm;
	int rc = 0;

	if (!cert || !id || strncmp(id, "keyid:", 6) == 0 || strcmp(id, "%any") == 0 || strchr(id, '*'))
		return true;
	buf_init(&names);
	buf_init(&one);
	buf_adds(&one, "asn1dn:");
	x509_dn_text(cert->info.subject, cert->info.subject_len, &one);
	for (size_t i = 0; !found && i < DOCTOR_CONF_MAX_SANS; i++) {
		if (i > 0) {
			one.len = 0;
			rc = x509_san_id(&cert->info, i - 1, &one);
			if (rc == -ENOENT || rc == -EBADMSG)
				break;
			if (rc)
				continue;
		}
		norm = doctor_conf_side_id_normalize(one.data);
		found = cert_name_matches(norm, id);
		buf_printf(&names, "%s%s", names.len ? ", " : "", norm);
		free(norm);
	}
	if (!found && rc != -EBADMSG)
		*why = xasprintf("cannot verify identity %s: certificate %s does not hold it (it holds %s), "
				 "so no trusted public key is found for it", id, cert->path, names.data);
	buf_free(&names);
	buf_free(&one);
	return found || rc == -EBADMSG;
}

/* Whether the sender's certificate may sign IKE: without a keyUsage extension, or with
 * digitalSignature or nonRepudiation in it (x509_cert.c parse_keyUsage; the verifier's
 * pubkey_authenticator.c is_compliant_cert: "rejecting certificate without
 * digitalSignature or nonRepudiation keyUsage flags"). */
static bool cert_key_usage(const struct dc_conn *sender, char **why)
{
	const struct dc_cred *cert = sender_cert(sender);

	if (!cert || !(cert->info.flags & X509_F_KU) || (cert->info.flags & X509_F_KU_SIGN))
		return true;
	*why = xasprintf("rejects the certificate it receives: %s has a keyUsage without "
			 "digitalSignature or nonRepudiation, so it may not sign IKE", cert->path);
	return false;
}

/* Whether the sender's certificate carries every OID of the verifier's remote.cert_policy,
 * as charon validates them (constraints_validator.c check_policy_constraints: the
 * end-entity's policies, each allowed by every certificate above it - the same OID or
 * anyPolicy - but a self-signed root with no policies at all; auth_cfg.c complies:
 * "constraint requires cert policy ..."). A CA with policyMappings, or a chain not
 * complete here, is not judged. */
static bool cert_policies(const struct dc_conn *sender, const struct dc_conn *verifier, char **why)
{
	const struct dc_cred *cert = sender_cert(sender), *chain[DOCTOR_CONF_MAX_CHAIN];
	char **oids;
	size_t n, depth = 0;
	bool ok = true;

	if (!cert || !verifier->rpol_at || !verifier->rpol_at->value)
		return true;
	for (const struct dc_cred *cur = cert; cur && depth < DOCTOR_CONF_MAX_CHAIN;
	     cur = cred_self_signed(cur) ? NULL : chain_issuer(sender, verifier, cur))
		chain[depth++] = cur;
	n = doctor_conf_side_split_files(verifier->rpol_at->value, &oids, DOCTOR_CONF_MAX_ADDRS);
	for (size_t i = 0; i < n && ok; i++) {
		const char *oid = oids[i];
		size_t k;
		if (x509_has_policy(&cert->info, oid, false) == 0) {
			*why = xasprintf("rejects the certificate it receives: remote.cert_policy requires %s, "
					 "and %s does not carry that policy", oid, cert->path);
			ok = false;
			break;
		}
		for (k = 1; k < depth; k++) {
			const struct x509_info *ca = &chain[k]->info;
			if ((ca->flags & X509_F_POLICY_MAP) || (!ca->policies && cred_self_signed(chain[k])))
				continue;
			if (x509_has_policy(ca, oid, true) == 0)
				break;
		}
		if (k < depth) {
			*why = xasprintf("rejects the certificate it receives: remote.cert_policy requires %s, "
					 "which the issuing CA certificate %s does not allow (neither that "
					 "policy nor anyPolicy)", oid, chain[k]->path);
			ok = false;
		}
	}
	doctor_conf_side_strv_free(oids, n);
	return ok;
}

/* The identity c's certificate (its first local.certs file) stands for: the subject DN,
 * normalized; NULL when no certificate is named or it was not read. Caller frees. */
static char *cert_id(const struct dc_conn *c)
{
	const struct dc_cred *cert;
	char **files, *id = NULL;
	size_t n;
	struct buf dn;

	if (!c->lcert_at || !c->lcert_at->value)
		return NULL;
	n = doctor_conf_side_split_files(c->lcert_at->value, &files, 1);
	cert = n ? cred_find(c->side, "certs", files[0]) : NULL;
	doctor_conf_side_strv_free(files, n);
	buf_init(&dn);
	if (cert && x509_dn_id(cert->info.subject, cert->info.subject_len, &dn) == 0)
		id = doctor_conf_side_id_normalize(dn.data);
	buf_free(&dn);
	return id;
}

/* The identity c sends to peer, as charon picks it; asked is the IDr an IKEv2 initiator
 * sends (its remote.id when that has no wildcard), NULL for the initiator itself or IKEv1.
 * A configured local.id is sent as it is. Without one, an IKEv2 responder takes the IDr it
 * is asked for (its certificate must then hold it: as subject or subjectAltName, which is
 * charon's check, not ours); otherwise a certificate's subject (swanctl's default for
 * local.certs), else the address the peer reaches it at. NULL when that certificate was
 * not read: unknown, never a mismatch. Caller frees. */
static char *sent_id(const struct dc_conn *c, const struct dc_conn *peer, const char *asked)
{
	const char *ip = doctor_conf_side_first_ip(peer->raddr, peer->n_raddr);

	if (c->lid_at)
		return xstrdup(c->lid);
	if (asked)
		return xstrdup(asked);
	if (c->lcert_at)
		return cert_id(c);
	if (strcmp(c->lid, "%any") == 0 && ip)
		return doctor_conf_side_id_normalize(ip);
	return xstrdup(c->lid);
}

/* IKE_SA_INIT: the version, then the IKE proposals. False when it fails (o says why). */
static bool nego_ike_sa_init(const struct dc_conn *ic, const struct dc_conn *rc, int version,
			     struct dc_outcome *o)
{
	struct buf a, b;
	bool ok = false;

	buf_init(&a);
	buf_init(&b);
	if (rc->version && rc->version != version) {
		outcome_set(o, DOCTOR_VERSION_MISMATCH,
			    xasprintf("the initiator speaks IKEv%d, the responder accepts only IKEv%d",
				      version, rc->version));
		goto out;
	}
	if (!doctor_props_match(ic->ike, ic->n_ike, rc->ike, rc->n_ike, true, false)) {
		bool dh_only = doctor_props_match(ic->ike, ic->n_ike, rc->ike, rc->n_ike, true, true);
		doctor_props_diff(ic->ike, ic->n_ike, rc->ike, rc->n_ike, true, false, o->tf_diff);
		doctor_props_print(&a, ic->ike, ic->n_ike);
		doctor_props_print(&b, rc->ike, rc->n_ike);
		doctor_props_diff_print(&b, o->tf_diff);
		outcome_set(o, dh_only ? DOCTOR_DH_GROUP_MISMATCH : DOCTOR_IKE_PROPOSAL_MISMATCH,
			    xasprintf("IKE: the initiator offers %s, the responder accepts only %s", a.data, b.data));
		goto out;
	}
	ok = true;
out:
	buf_free(&a);
	buf_free(&b);
	return ok;
}

/* IKE_AUTH: the identities both ways, the authentication methods, certificates and the
 * pre-shared key. False when it fails (o says why). */
/* The PSK an IKEv1 side picks (phase1.c, lookup_shared_key): in main mode before it has
 * seen the peer's identity, by its own (my_id; a responder uses its configured local.id,
 * none when unset) and the configured remote.id; in aggressive mode by the identity the
 * peer sent (peer_id); else by the two addresses. */
static const struct dc_secret *psk_ikev1(const struct dc_conn *c, const struct dc_conn *peer, const char *my_id,
					 const char *peer_id)
{
	const struct dc_secret *d = NULL;
	const char *me = doctor_conf_side_first_ip(c->laddr, c->n_laddr), *other = doctor_conf_side_first_ip(peer->laddr, peer->n_laddr);
	char *mi, *oi;

	if (!my_id && c->lid_at)
		my_id = c->lid;
	if (my_id)
		d = doctor_conf_side_find_psk(c->side, my_id, c->aggressive && peer_id ? peer_id : c->rid);
	if (d)
		return d;
	if (!me)
		me = doctor_conf_side_first_ip(peer->raddr, peer->n_raddr);
	if (!other)
		other = doctor_conf_side_first_ip(c->raddr, c->n_raddr);
	mi = doctor_conf_side_id_normalize(me ? me : "%any");
	oi = doctor_conf_side_id_normalize(other ? other : "%any");
	d = doctor_conf_side_find_psk(c->side, mi, oi);
	free(mi);
	free(oi);
	return d;
}

/* The certificate checks of one direction, sender to verifier (dir 0: the initiator
 * sends, 1: the responder), in charon's order: both sides load their files (swanctl
 * --load-conns), then the verifier finds a trusted public key for the identity sent
 * (chain, dates, the identity in the certificate), checks its key usage, and last its
 * remote.cert_policy constraints. False when one fails (o says why). */
static bool cert_checks(const struct dc_conn *sender, const struct dc_conn *verifier, const char *id, time_t now,
			int dir, struct dc_outcome *o)
{
	static const char *const role[2] = { "initiator", "responder" };
	char *why = NULL;
	bool vside;

	if (!certs_load(sender, verifier, &why, &vside)) {
		outcome_set(o, DOCTOR_CERT_PROBLEM, xasprintf("the %s %s", role[vside ? !dir : dir], why));
	} else if (!cert_trusted(sender, verifier, now, &why) || !cert_holds_id(sender, id, &why) ||
		   !cert_key_usage(sender, &why)) {
		outcome_set(o, DOCTOR_CERT_PROBLEM, xasprintf("the %s %s", role[!dir], why));
	} else if (!cert_policies(sender, verifier, &why)) {
		o->cert_policy = true;
		outcome_set(o, DOCTOR_CERT_PROBLEM, xasprintf("the %s %s", role[!dir], why));
	} else {
		return true;
	}
	free(why);
	o->cert_dir = dir;
	return false;
}

static bool nego_ike_auth(const struct dc_conn *ic, const struct dc_conn *rc, int version,
			  struct dc_outcome *o)
{
	bool idr = version == 2 && strcmp(ic->rid, "%any") != 0 && !strchr(ic->rid, '*');
	time_t now = time(NULL);
	char *ilid = sent_id(ic, rc, NULL), *rlid = sent_id(rc, ic, idr ? ic->rid : NULL);
	bool ok = false;

	if (ilid && !doctor_conf_side_id_matches(rc->rid, ilid)) {
		outcome_set(o, DOCTOR_ID_MISMATCH,
			    xasprintf("the initiator sends identity %s, the responder expects %s", ilid, rc->rid));
		goto out;
	}
	if (rlid && !doctor_conf_side_id_matches(ic->rid, rlid)) {
		outcome_set(o, DOCTOR_ID_MISMATCH,
			    xasprintf("the responder sends identity %s, the initiator expects %s", rlid, ic->rid));
		goto out;
	}
	if (strcmp(ic->lauth, rc->rauth) != 0 || strcmp(rc->lauth, ic->rauth) != 0) {
		outcome_set(o, DOCTOR_AUTH_FAILED,
			    xasprintf("authentication methods differ: the initiator uses %s and expects %s, "
				      "the responder uses %s and expects %s",
				      ic->lauth, ic->rauth, rc->lauth, rc->rauth));
		goto out;
	}
	if (strcmp(ic->lauth, "pubkey") == 0 && strcmp(rc->lauth, "pubkey") == 0) {
		if (!cert_checks(ic, rc, ilid, now, 0, o) || !cert_checks(rc, ic, rlid, now, 1, o))
			goto out;
	}
	if (strcmp(ic->lauth, "psk") == 0) {
		/* an identity unknown here (an unread certificate) matches the owner-less secrets */
		const char *il = ilid ? ilid : "%any", *rl = rlid ? rlid : "%any";
		const struct dc_secret *ip, *rp;
		if (version == 1) {
			ip = psk_ikev1(ic, rc, il, rl);
			rp = psk_ikev1(rc, ic, rc->aggressive ? rl : NULL, il);
		} else {
			ip = doctor_conf_side_find_psk(ic->side, il, rl);
			rp = doctor_conf_side_find_psk(rc->side, rl, il);
		}
		o->psk[0] = ip;
		o->psk[1] = rp;
		if ((!ip && ic->psk_unknown) || (!rp && rc->psk_unknown)) {
			/* a psk_file that cannot be read here: equality unknown (warned), not a failure */
		} else if (!ip || !rp) {
			outcome_set(o, DOCTOR_PSK_MISMATCH,
				    xasprintf("the %s has no pre-shared key for %s - %s", !ip ? "initiator" : "responder",
					      !ip ? il : rl, !ip ? rl : il));
			goto out;
		} else if (strcmp(ip->hash, rp->hash) != 0) {
			outcome_set(o, DOCTOR_PSK_MISMATCH,
				    xstrdup("the pre-shared keys differ (compared by SHA-256, never shown)"));
			goto out;
		}
	}
	ok = true;
out:
	free(ilid);
	free(rlid);
	return ok;
}

/* CHILD_SA (inside IKE_AUTH for IKEv2, quick mode for IKEv1), for each initiator child: the
 * selectors pick the responder's child, then ESP/AH proposals, PFS and narrowing. False when
 * one fails (o says why). A responder that narrows the selectors still installs the child:
 * that is a warning of the pair (warn_narrowed), not a failure. */
static bool nego_child_sa(const struct dc_conn *ic, const struct dc_conn *rc, int version,
			  struct dc_outcome *o)
{
	struct buf a, b;
	bool ok = false;

	buf_init(&a);
	buf_init(&b);
	for (size_t i = 0; i < ic->n_child; i++) {
		const struct dc_child *ich = &ic->child[i];
		int k = child_select(ic, ich, rc);
		const struct dc_child *rch;
		bool skip_ke = version == 2;

		o->child_i = (int)i;
		if (k < 0) {
			const struct dc_child *c0 = rc->n_child ? &rc->child[0] : NULL;
			doctor_conf_side_ts_print(&a, ich->lts, ich->n_lts);
			buf_adds(&a, " === ");
			doctor_conf_side_ts_print(&a, ich->rts, ich->n_rts);
			if (c0) {
				doctor_conf_side_ts_print(&b, c0->rts, c0->n_rts);
				buf_adds(&b, " === ");
				doctor_conf_side_ts_print(&b, c0->lts, c0->n_lts);
			}
			o->child_r = c0 ? 0 : -1;
			outcome_set(o, DOCTOR_TS_MISMATCH,
				    xasprintf("child %s proposes %s, the responder has %s", ich->name, a.data,
					      c0 ? b.data : "no child at all"));
			goto out;
		}
		rch = &rc->child[k];
		o->child_r = k;
		if (ich->ah != rch->ah || !doctor_props_match(ich->esp, ich->n_esp, rch->esp, rch->n_esp, false, true)) {
			doctor_props_diff(ich->esp, ich->n_esp, rch->esp, rch->n_esp, false, true, o->tf_diff);
			doctor_props_print(&a, ich->esp, ich->n_esp);
			doctor_props_print(&b, rch->esp, rch->n_esp);
			doctor_props_diff_print(&b, o->tf_diff);
			outcome_set(o, DOCTOR_CHILD_PROPOSAL_MISMATCH,
				    xasprintf("%s: the initiator offers %s, the responder accepts only %s",
					      ich->ah ? "AH" : "ESP", a.data, b.data));
			goto out;
		}
		if (!doctor_props_match(ich->esp, ich->n_esp, rch->esp, rch->n_esp, false, false)) {
			doctor_props_diff(ich->esp, ich->n_esp, rch->esp, rch->n_esp, false, false, o->tf_diff);
			doctor_props_print(&a, ich->esp, ich->n_esp);
			doctor_props_print(&b, rch->esp, rch->n_esp);
			outcome_set(o, DOCTOR_PFS_MISMATCH,
				    xasprintf("PFS differs: the initiator offers %s, the responder accepts only %s%s",
					      a.data, b.data,
					      skip_ke ? "; the first child comes up (no key exchange in "
							"IKE_AUTH) and its rekey fails"
						      : "; IKEv1 quick mode negotiates the PFS group at once, so "
							"no child comes up"));
			goto out;
		}
	}
	ok = true;
out:
	buf_free(&a);
	buf_free(&b);
	return ok;
}

/* What happens when ic initiates to rc, exchange by exchange as charon's tasks run; the
 * first failure is the outcome. */
static void negotiate(const struct dc_conn *ic, const struct dc_conn *rc, struct dc_outcome *o)
{
	int version = ic->version ? ic->version : 2;

	memset(o, 0, sizeof(*o));
	o->cls = DOCTOR_HEALTHY;
	o->child_i = o->child_r = -1;
	if (!nego_ike_sa_init(ic, rc, version, o) || !nego_ike_auth(ic, rc, version, o) ||
	    !nego_child_sa(ic, rc, version, o))
		return;
	if (ic->n_child == 0)
		outcome_set(o, DOCTOR_HEALTHY, xstrdup("the IKE SA comes up; the connection has no child"));
}

/* ---- verdicts -------------------------------------------------------------------------- */

/* Fix text per class: the tunnel-file key (pfSense field), or the swanctl.conf key. */
static const struct {
	enum doctor_class cls;
	const char *tunnel, *swanctl;
} fixes[] = {
	{ DOCTOR_VERSION_MISMATCH, "version (pfSense: Phase 1 > Key Exchange version)", "version" },
	{ DOCTOR_IKE_PROPOSAL_MISMATCH,
	  "proposals { N { encryption, hash, prf } } (pfSense: Phase 1 > Encryption Algorithm)", "proposals" },
	{ DOCTOR_DH_GROUP_MISMATCH, "proposals { N { dh_group } } (pfSense: Phase 1 > Encryption Algorithm > DH Group)",
	  "proposals (the DH group part)" },
	{ DOCTOR_ID_MISMATCH, "local_id / remote_id (pfSense: Phase 1 > My identifier / Peer identifier)",
	  "local.id / remote.id" },
	{ DOCTOR_AUTH_FAILED, "auth (pfSense: Phase 1 > Authentication Method)", "local.auth / remote.auth" },
	{ DOCTOR_CERT_PROBLEM,
	  "cert / ca: the peer's ca must be the CA that issued this side's cert (pfSense: Phase 1 > "
	  "My Certificate / Peer Certificate Authority)",
	  "local.certs / remote.cacerts / remote.cert_policy: the verifier's CA must have issued the "
	  "sender's certificate, which must load, hold the identity sent, allow signing (keyUsage) and "
	  "carry the policies the verifier requires" },
	{ DOCTOR_PSK_MISMATCH, "psk or psk_file (pfSense: Phase 1 > Pre-Shared Key)",
	  "secrets { ike-N { secret } } and its id-N owners" },
	{ DOCTOR_CHILD_PROPOSAL_MISMATCH,
	  "phase2 { M { encryption, hash } } (pfSense: Phase 2 > Encryption Algorithms / Hash Algorithms)",
	  "esp_proposals" },
	{ DOCTOR_PFS_MISMATCH, "phase2 { M { pfs_group } } (pfSense: Phase 2 > PFS key group)",
	  "esp_proposals (the DH group part: the same on both sides, or none on both)" },
	{ DOCTOR_TS_MISMATCH, "phase2 { M { local, remote } } (pfSense: Phase 2 > Local Network / Remote Network)",
	  "local_ts / remote_ts" },
	{ DOCTOR_TS_NARROWED, "phase2 { M { local, remote } } (pfSense: Phase 2 > Local Network / Remote Network)",
	  "local_ts / remote_ts" },
	{ DOCTOR_NO_IKE_CONFIG,
	  "local_address / remote_gateway (pfSense: Phase 1 > Interface / Remote Gateway) on either side",
	  "local_addrs / remote_addrs on either side" },
};

/* The fix for a class, naming where it goes: tunnels.N or connections.NAME. Caller frees. */
static char *fix_for(enum doctor_class cls, const struct dc_conn *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixes); i++)
		if (fixes[i].cls == cls)
			return c->tsec ? xasprintf("in tunnels { %s { ... } }: %s", c->tsec->name, fixes[i].tunnel)
				       : xasprintf("in connections { %s { ... } }: %s", c->name, fixes[i].swanctl);
	return xstrdup("");
}

/* Tunnel file keys behind each proposal transform type, phase 1 and phase 2. */
static const char *const tf_keys_ike[DOCTOR_XF_COUNT] = { "encryption", "hash", "prf hash", "dh_group", "" };
static const char *const tf_keys_esp[DOCTOR_XF_COUNT] = { "encryption", "hash", "", "pfs_group", "" };

/* Evidence lines for an outcome, from both connections (side index li for ic). */
static void ev_outcome(struct dc_ctx *x, struct doctor_verdict *v, const struct dc_outcome *o,
		       int ii, const struct dc_conn *ic, const struct dc_conn *rc)
{
	const struct dc_conn *c[2] = { ic, rc };
	int side[2] = { ii, !ii };

	for (int s = 0; s < 2; s++) {
		const struct dc_conn *cc = c[s];
		int ci = s == 0 ? o->child_i : o->child_r;
		const struct dc_child *ch = ci >= 0 && (size_t)ci < cc->n_child ? &cc->child[ci] : NULL;
		struct buf keys;

		buf_init(&keys);
		switch (v->cls) {
		case DOCTOR_VERSION_MISMATCH:
			ev_conn(x, v, side[s], cc, cc->version_at, "version", false);
			break;
		case DOCTOR_IKE_PROPOSAL_MISMATCH:
		case DOCTOR_DH_GROUP_MISMATCH:
			for (int t = 0; t < DOCTOR_XF_COUNT; t++)
				if (o->tf_diff[t] && *tf_keys_ike[t])
					buf_printf(&keys, "%s ", tf_keys_ike[t]);
			ev_conn(x, v, side[s], cc, cc->ike_at, keys.len ? keys.data : "proposals", false);
			break;
		case DOCTOR_ID_MISMATCH:
			ev_conn(x, v, side[s], cc, cc->lid_at, "local_id", false);
			ev_conn(x, v, side[s], cc, cc->rid_at, "remote_id", false);
			break;
		case DOCTOR_AUTH_FAILED:
			ev_conn(x, v, side[s], cc, cc->lauth_at, "auth", false);
			ev_conn(x, v, side[s], cc, cc->rauth_at, "auth", false);
			break;
		case DOCTOR_PSK_MISMATCH:
			ev_conn(x, v, side[s], cc, o->psk[s] ? o->psk[s]->at : NULL, "psk psk_file", true);
			break;
		case DOCTOR_CERT_PROBLEM:
			/* the sender's certificate, the verifier's CAs */
			if (s == o->cert_dir)
				ev_conn(x, v, side[s], cc, cc->lcert_at, "cert", false);
			else
				ev_conn(x, v, side[s], cc, o->cert_policy ? cc->rpol_at : cc->rca_at,
					o->cert_policy ? "cert_policy" : "ca", false);
			break;
		case DOCTOR_CHILD_PROPOSAL_MISMATCH:
		case DOCTOR_PFS_MISMATCH:
			for (int t = 0; t < DOCTOR_XF_COUNT; t++)
				if (o->tf_diff[t] && *tf_keys_esp[t])
					buf_printf(&keys, "%s ", tf_keys_esp[t]);
			if (ch)
				ev_child(x, v, side[s], cc, ch, ch->esp_at, keys.len ? keys.data : "encryption");
			break;
		case DOCTOR_TS_MISMATCH:
		case DOCTOR_TS_NARROWED:
			if (ch) {
				ev_child(x, v, side[s], cc, ch, ch->lts_at, "local");
				ev_child(x, v, side[s], cc, ch, ch->rts_at, "remote");
			}
			break;
		default:
			break;
		}
		buf_free(&keys);
	}
}

static const char *const side_names[2] = { "local", "peer" };

/* Whether a connection initiates on its own: a child with start_action start or trap, or
 * (tunnel file) a phase 2 with keepalive = yes, which tunnelctl's daemon brings up. */
static bool conn_initiates(const struct dc_conn *c)
{
	for (size_t i = 0; i < c->n_child; i++) {
		const char *ka = c->child[i].tsec ? conf_get(c->child[i].tsec, "keepalive") : NULL;
		if (strcmp(c->child[i].start_action, "start") == 0 || strcmp(c->child[i].start_action, "trap") == 0 ||
		    str_eq(ka, "yes"))
			return true;
	}
	return false;
}

/* Whether c can start the IKE SA: a remote address that is one host (an IP or a name), not
 * %any, a subnet or a range. */
static bool conn_can_initiate(const struct dc_conn *c)
{
	for (size_t i = 0; i < c->n_raddr; i++) {
		struct dc_range r;
		const char *a = c->raddr[i];
		if (strcmp(a, "%any") == 0 || strcmp(a, "%any6") == 0)
			continue;
		if (!strchr(a, '/') && !strchr(a, '-'))
			return true;
		if (doctor_conf_side_parse_range(a, &r) && memcmp(r.lo, r.hi, sizeof(r.lo)) == 0)
			return true;
	}
	return false;
}

/* Only one side can initiate (the other's remote_addrs is %any or a subnet): one direction. */
static void judge_one_way(struct dc_ctx *x, const struct dc_conn *a, const struct dc_conn *b)
{
	bool a_can = conn_can_initiate(a);
	const struct dc_conn *ini = a_can ? a : b, *res = a_can ? b : a;
	struct dc_outcome o;
	struct doctor_verdict *v;

	negotiate(ini, res, &o);
	v = verdict_new(x, false, o.cls, a->name, side_names[0]);
	v->summary = xasprintf("only %s can initiate (%s remote_addrs accepts any peer): %s",
			       a_can ? "this side" : "the peer", a_can ? "the peer's" : "this side's",
			       o.cls == DOCTOR_HEALTHY ? "it establishes" : o.why);
	v->fix = fix_for(v->cls, a);
	if (o.cls == DOCTOR_HEALTHY) {
		ev_conn(x, v, 0, a, a->raddr_at, "remote_gateway", false);
		ev_conn(x, v, 1, b, b->raddr_at, "remote_gateway", false);
	} else {
		ev_outcome(x, v, &o, a_can ? 0 : 1, ini, res);
	}
	free(o.why);
}

/* Verdict for the pair: both directions negotiated, the asymmetry named. */
static void judge_pair(struct dc_ctx *x, const struct dc_conn *a, const struct dc_conn *b)
{
	struct dc_outcome ab, ba;
	const struct dc_outcome *bad;
	struct doctor_verdict *v;

	if (conn_can_initiate(a) != conn_can_initiate(b)) {
		judge_one_way(x, a, b);
		return;
	}
	negotiate(a, b, &ab);
	negotiate(b, a, &ba);
	bad = ab.cls != DOCTOR_HEALTHY ? &ab : &ba;
	if (ab.cls == DOCTOR_HEALTHY && ba.cls == DOCTOR_HEALTHY) {
		v = verdict_new(x, false, DOCTOR_HEALTHY, a->name, side_names[0]);
		v->summary = xasprintf("the configs agree: %s establishes with the peer's %s whichever side "
				       "initiates", a->name, b->name);
		v->fix = xstrdup("");
		ev_conn(x, v, 0, a, NULL, "remote_gateway", false);
		ev_conn(x, v, 1, b, NULL, "remote_gateway", false);
	} else if (ab.cls != DOCTOR_HEALTHY && ba.cls != DOCTOR_HEALTHY) {
		v = verdict_new(x, false, ab.cls, a->name, side_names[0]);
		v->summary = ab.cls == ba.cls
				     ? xasprintf("%s; fails whichever side initiates", ab.why)
				     : xasprintf("when %s initiates: %s; when the peer's %s initiates: %s", a->name,
						 ab.why, b->name, ba.why);
		v->fix = fix_for(v->cls, a);
		ev_outcome(x, v, &ab, 0, a, b);
	} else {
		bool a_fails = ab.cls != DOCTOR_HEALTHY;
		v = verdict_new(x, false, bad->cls, a->name, side_names[0]);
		v->summary = xasprintf("establishes when %s initiates, not when %s initiates: %s%s",
				       a_fails ? "the peer" : "this side", a_fails ? "this side" : "the peer",
				       bad->why,
				       (a_fails ? conn_initiates(a) : conn_initiates(b))
					       ? ""
					       : " (that side does not initiate on its own today)");
		v->fix = fix_for(v->cls, a);
		if (bad == &ab)
			ev_outcome(x, v, &ab, 0, a, b);
		else
			ev_outcome(x, v, &ba, 1, b, a);
	}
	free(ab.why);
	free(ba.why);
}

/* Append the parts of configured selector cfg the SA's selectors sa do not cover, as
 * "0.0.0.0/0 beyond 10.1.0.0/16,224.0.0.0/4"; false when they cover all of it. */
static bool ts_uncovered(struct buf *b, const struct dc_ts *cfg, const struct dc_ts *sa, size_t n)
{
	struct dc_range in[DOCTOR_CONF_MAX_TS];
	size_t k = 0;
	unsigned char next[16];
	bool gap = false;

	if (cfg->dynamic)
		return false;
	for (size_t i = 0; i < n; i++)
		if (sa[i].dynamic)
			return false;
	for (size_t i = 0; i < n && k < DOCTOR_CONF_MAX_TS; i++)
		if (!sa[i].dynamic && doctor_conf_side_range_intersect(&cfg->r, &sa[i].r, &in[k]))
			k++;
	/* sorted by start, the parts must leave no hole from cfg's first to its last address */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && memcmp(in[j - 1].lo, in[j].lo, 16) > 0; j--) {
			struct dc_range t = in[j];
			in[j] = in[j - 1];
			in[j - 1] = t;
		}
	memcpy(next, cfg->r.lo, 16);
	for (size_t i = 0; i < k && !gap; i++) {
		if (memcmp(in[i].lo, next, 16) > 0)
			gap = true;
		else if (memcmp(in[i].hi, next, 16) >= 0) {
			memcpy(next, in[i].hi, 16);
			if (memcmp(next, cfg->r.hi, 16) == 0)
				break;
			for (int byte = 15; byte >= 0 && ++next[byte] == 0; byte--)
				;
		}
	}
	if (!gap && k && memcmp(next, cfg->r.hi, 16) >= 0)
		return false;
	doctor_conf_side_ts_print(b, cfg, 1);
	buf_adds(b, k ? " beyond " : " (none of it)");
	for (size_t i = 0; i < k; i++) {
		struct dc_ts t = { .dynamic = false, .r = in[i] };
		if (i)
			buf_adds(b, ",");
		doctor_conf_side_ts_print(b, &t, 1);
	}
	return true;
}

/* Warnings for the children the responder res narrows when ini initiates (ini_side 0 local,
 * 1 peer): the child is installed with less than the initiator configured, which is normal
 * for split tunnels and road warriors asking for 0.0.0.0/0, but the named networks are then
 * not tunnelled. */
static void warn_narrowed(struct dc_ctx *x, const struct dc_conn *a, int ini_side, const struct dc_conn *ini,
			  const struct dc_conn *res)
{
	struct dc_tsnego *t = xmalloc(sizeof(*t));

	for (size_t i = 0; i < ini->n_child; i++) {
		const struct dc_child *ich = &ini->child[i];
		int k = child_select(ini, ich, res);
		struct buf lost, got;
		bool any = false;

		if (k < 0)
			continue;
		ts_negotiate(ini, ich, res, &res->child[k], t);
		buf_init(&lost);
		buf_init(&got);
		for (size_t j = 0; j < t->n_il + t->n_ir; j++) {
			bool local = j < t->n_il;
			size_t at = lost.len;
			buf_adds(&lost, local ? "local " : "remote ");
			if (local ? ts_uncovered(&lost, &t->ini_l[j], t->tsi, t->n_tsi)
				  : ts_uncovered(&lost, &t->ini_r[j - t->n_il], t->tsr, t->n_tsr)) {
				buf_adds(&lost, "; ");
				any = true;
			} else {
				lost.len = at;
			}
		}
		if (any) {
			struct doctor_verdict *w = verdict_new(x, true, DOCTOR_HEALTHY, a->name, side_names[0]);
			lost.len -= 2;
			lost.data[lost.len] = '\0';
			doctor_conf_side_ts_print(&got, t->tsi, t->n_tsi);
			buf_adds(&got, " === ");
			doctor_conf_side_ts_print(&got, t->tsr, t->n_tsr);
			w->summary = xasprintf("child %s: when %s initiates, %s narrows the selectors to %s; not "
					       "tunnelled: %s (normal for a split tunnel; otherwise widen the responder's "
					       "selectors)",
					       ich->name, ini_side ? "the peer" : "this side", ini_side ? "this side" : "the peer",
					       got.data, lost.data);
			w->fix = fix_for(DOCTOR_TS_NARROWED, a);
			ev_child(x, w, ini_side, ini, ich, ich->lts_at, "local");
			ev_child(x, w, ini_side, ini, ich, ich->rts_at, "remote");
			ev_child(x, w, !ini_side, res, &res->child[k], res->child[k].lts_at, "local");
			ev_child(x, w, !ini_side, res, &res->child[k], res->child[k].rts_at, "remote");
		}
		buf_free(&lost);
		buf_free(&got);
	}
	free(t);
}

/* Warnings of a pair: lifetimes, close actions, nobody initiating. */
static void warn_pair(struct dc_ctx *x, const struct dc_conn *a, const struct dc_conn *b)
{
	struct doctor_verdict *w;
	bool tunnel = a->tsec != NULL;

	if (conn_can_initiate(a))
		warn_narrowed(x, a, 0, a, b);
	if (conn_can_initiate(b))
		warn_narrowed(x, a, 1, b, a);
	if (a->rekey != b->rekey) {
		w = verdict_new(x, true, DOCTOR_HEALTHY, a->name, side_names[0]);
		w->summary = xasprintf("IKE rekey times differ (%llus here, %llus on the peer): harmless, the "
				       "earlier one rekeys", a->rekey, b->rekey);
		w->fix = xstrdup(tunnel ? "lifetime (pfSense: Phase 1 > Life Time), the same on both sides"
					: "rekey_time, the same on both sides");
		ev_conn(x, w, 0, a, a->rekey_at, "lifetime", false);
		ev_conn(x, w, 1, b, b->rekey_at, "lifetime", false);
	}
	for (size_t i = 0; i < a->n_child; i++) {
		const struct dc_child *ca = &a->child[i];
		int k = child_select(a, ca, b);
		if (k < 0)
			continue;
		const struct dc_child *cb = &b->child[k];
		if (ca->life != cb->life) {
			w = verdict_new(x, true, DOCTOR_HEALTHY, a->name, side_names[0]);
			w->summary = xasprintf("child %s: lifetimes differ (%llus here, %llus on the peer): harmless, "
					       "the earlier one rekeys", ca->name, ca->life, cb->life);
			w->fix = xstrdup(tunnel ? "phase2 { M { lifetime } } (pfSense: Phase 2 > Life Time), the "
						  "same on both sides"
						: "life_time / rekey_time, the same on both sides");
			ev_child(x, w, 0, a, ca, ca->life_at, "lifetime");
			ev_child(x, w, 1, b, cb, cb->life_at, "lifetime");
		}
		if (strcmp(ca->close_action, "none") != 0 && strcmp(cb->close_action, "none") != 0) {
			w = verdict_new(x, true, DOCTOR_HEALTHY, a->name, side_names[0]);
			w->summary = xasprintf("child %s: a close action on both sides (%s here, %s on the peer): "
					       "after a delete both restart and can fight; set it on one side only",
					       ca->name, ca->close_action, cb->close_action);
			w->fix = xstrdup(tunnel ? "close_action (pfSense: Phase 1 > Child SA Close Action) on one side"
						: "close_action on one side only");
			ev_child(x, w, 0, a, ca, ca->close_at, "close_action");
			ev_child(x, w, 1, b, cb, cb->close_at, "close_action");
		}
	}
	if (a->dpd_delay == 0 && b->dpd_delay == 0) {
		w = verdict_new(x, true, DOCTOR_HEALTHY, a->name, side_names[0]);
		w->summary = xstrdup("DPD is off on both sides: when one side loses its SAs (reboot, expiry) "
				     "the other keeps sending into a dead tunnel until its own rekey");
		w->fix = xstrdup(tunnel ? "dpd_delay (pfSense: Phase 1 > Dead Peer Detection), or a phase 2 "
					  "ping_host / keepalive = yes"
					: "dpd_delay on at least one side");
		ev_conn(x, w, 0, a, a->dpd_at, "dpd_delay", false);
		ev_conn(x, w, 1, b, b->dpd_at, "dpd_delay", false);
	}
	for (int k = 0; k < 2; k++) {
		const struct dc_conn *c = k ? b : a;
		if (!c->psk_unknown)
			continue;
		w = verdict_new(x, true, DOCTOR_HEALTHY, a->name, side_names[0]);
		w->summary = xasprintf("%s psk_file cannot be read here, so whether the pre-shared keys are "
				       "equal is unknown (the rest was compared)", k ? "the peer's" : "this side's");
		w->fix = xstrdup("run the doctor where both psk_files are readable, or compare them by hand "
				 "(sha256sum on each side)");
		ev_conn(x, w, k, c, NULL, "psk_file", false);
	}
	if (!conn_initiates(a) && !conn_initiates(b)) {
		w = verdict_new(x, true, DOCTOR_HEALTHY, a->name, side_names[0]);
		w->summary = xstrdup("both sides are responder-only (no start or trap start action, no "
				     "keepalive): nobody initiates, the tunnel only comes up by hand");
		w->fix = xstrdup(tunnel ? "start_action = start (pfSense: Phase 1 > Child SA Start Action) on one side"
					: "start_action = start (or trap) on one side");
		ev_conn(x, w, 0, a, a->n_child ? a->child[0].start_at : NULL, "start_action", false);
		ev_conn(x, w, 1, b, b->n_child ? b->child[0].start_at : NULL, "start_action", false);
	}
}

/* A connection charon would refuse to load (side 0 local, 1 peer): config_error. */
static void judge_unloadable(struct dc_ctx *x, const struct dc_conn *a, int side, const struct dc_conn *c)
{
	struct doctor_verdict *v = verdict_new(x, false, DOCTOR_CONFIG_ERROR, a->name, side_names[side]);

	v->summary = xasprintf("charon refuses to load %s%s: %s", side ? "the peer's " : "", c->name, c->bad);
	v->fix = c->tsec ? xasprintf("in tunnels { %s { ... } }: the algorithm names (tunnelctl check lists "
				     "the valid ones)", c->tsec->name)
			 : xasprintf("in connections { %s { ... } }: the proposal keywords (strongSwan's "
				     "IKEv2 cipher suites)", c->name);
	ev_conn(x, v, side, c, c->bad_at, "encryption hash prf dh_group pfs_group", false);
}

/* No peer connection pairs with a: say why, citing the peer's closest candidates. */
static void judge_unpaired(struct dc_ctx *x, const struct dc_conn *a, const struct doctor_conf_side *peer)
{
	struct doctor_verdict *v = verdict_new(x, false, DOCTOR_NO_IKE_CONFIG, a->name, side_names[0]);
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < a->n_raddr; i++)
		buf_printf(&b, "%s%s", i ? "," : "", a->raddr[i]);
	v->summary = xasprintf("the peer has no connection for this one: none accepts %s from our address "
			       "and is reached at %s",
			       a->n_laddr ? a->laddr[0] : "%any", b.data ? b.data : "%any");
	v->fix = fix_for(v->cls, a);
	ev_conn(x, v, 0, a, a->laddr_at, "local_address interface", false);
	ev_conn(x, v, 0, a, a->raddr_at, "remote_gateway", false);
	for (size_t i = 0; i < peer->n_conn; i++) {
		const struct dc_conn *c = &peer->conn[i];
		if (addrs_match(a->raddr, a->n_raddr, c->laddr, c->n_laddr) == 3 ||
		    addrs_match(c->raddr, c->n_raddr, a->laddr, a->n_laddr) == 3)
			ev_conn(x, v, 1, c, c->raddr_at, "remote_gateway", false);
	}
	buf_free(&b);
}

static int verdict_cmp(const void *pa, const void *pb)
{
	const struct doctor_verdict *a = pa, *b = pb;

	return (int)a->cls - (int)b->cls;
}

void doctor_conf_compare(const struct doctor_conf_side *local, const struct doctor_conf_side *peer, struct doctor *d,
		   struct doctor_conf_result *out)
{
	struct dc_ctx x = { .d = d, .side = { local, peer } };
	bool *used = xcalloc(peer->n_conn + 1, sizeof(*used));

	for (size_t i = 0; i < local->n_conn; i++) {
		const struct dc_conn *a = &local->conn[i];
		int best = 0;
		size_t bi = 0;
		if (a->local_only)
			continue;
		if (a->bad) {
			judge_unloadable(&x, a, 0, a);
			continue;
		}
		for (size_t k = 0; k < peer->n_conn; k++) {
			if (peer->conn[k].local_only)
				continue;
			int s = pair_score(a, &peer->conn[k]) - (used[k] ? 1 : 0);
			if (s > best) {
				best = s;
				bi = k;
			}
		}
		if (best <= 0) {
			judge_unpaired(&x, a, peer);
			continue;
		}
		used[bi] = true;
		if (peer->conn[bi].bad) {
			judge_unloadable(&x, a, 1, &peer->conn[bi]);
			continue;
		}
		judge_pair(&x, a, &peer->conn[bi]);
		warn_pair(&x, a, &peer->conn[bi]);
	}
	free(used);
	free(x.files);
	/* stable order: most important class first, file order within a class */
	for (size_t i = 1; i < x.n; i++)
		for (size_t k = i; k > 0 && verdict_cmp(&x.v[k - 1], &x.v[k]) > 0; k--) {
			struct doctor_verdict t = x.v[k];
			x.v[k] = x.v[k - 1];
			x.v[k - 1] = t;
		}
	if (x.nw > DOCTOR_CONF_MAX_WARNINGS) {
		struct doctor_conf_result extra = { .warn = x.w + DOCTOR_CONF_MAX_WARNINGS,
					      .n_warn = x.nw - DOCTOR_CONF_MAX_WARNINGS };
		for (size_t i = 0; i < extra.n_warn; i++) {
			free(extra.warn[i].tunnel);
			free(extra.warn[i].summary);
			free(extra.warn[i].fix);
			for (size_t k = 0; k < extra.warn[i].n_ev; k++)
				free(extra.warn[i].ev[k].text);
		}
		x.nw = DOCTOR_CONF_MAX_WARNINGS;
	}
	out->v = x.v;
	out->n = x.n;
	out->warn = x.w;
	out->n_warn = x.nw;
}

void doctor_conf_check(const struct doctor_conf_side *local, struct doctor *d, struct doctor_conf_result *out)
{
	struct dc_ctx x = { .d = d, .side = { local, local } };

	for (size_t i = 0; i < local->n_conn; i++)
		if (local->conn[i].bad && !local->conn[i].local_only)
			judge_unloadable(&x, &local->conn[i], 0, &local->conn[i]);
	free(x.files);
	out->v = x.v;
	out->n = x.n;
	out->warn = x.w;
	out->n_warn = x.nw;
}

static void verdicts_free(struct doctor_verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].tunnel);
		free(v[i].summary);
		free(v[i].fix);
		for (size_t k = 0; k < v[i].n_ev; k++)
			free(v[i].ev[k].text);
	}
	free(v);
}

void doctor_conf_result_free(struct doctor_conf_result *r)
{
	verdicts_free(r->v, r->n);
	verdicts_free(r->warn, r->n_warn);
	memset(r, 0, sizeof(*r));
}
