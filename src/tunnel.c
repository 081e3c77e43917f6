/* tunnel.c - the tunnel model: built from a parsed tree with pfSense's defaults, validated,
 * and checked for the warnings `check` prints. Every key is a row in a sorted table. */
#include "tunnel.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "naming.h"
#include "proposal.h"

const char *const tunnel_version_names[] = { "ikev2", "ikev1", "auto", NULL };
const char *const tunnel_action_names[] = { "default", "none", "start", "trap", NULL };
const char *const tunnel_mode_names[] = { "tunnel", "tunnel6", "transport", "vti", NULL };
const char *const tunnel_proto_names[] = { "esp", "ah", NULL };
const char *const tunnel_stall_names[] = { "restart", "report", "none", NULL };
const char *const tunnel_unique_names[] = { "replace", "no", "never", "keep", NULL };
const char *const tunnel_id_type_names[] = { "myaddress", "peeraddress", "any", "address", "fqdn",
					     "user_fqdn", "asn1dn", "keyid", NULL };
const char *const tunnel_log_category_names[TUNNEL_LOG_CATEGORIES] = {
	"dmn", "mgr", "ike", "chd", "job", "cfg", "knl", "net",
	"asn", "enc", "imc", "imv", "pts", "tls", "esp", "lib",
};
static const char *const natt_names[] = { "auto", "force", NULL };
static const char *const firewall_names[] = { "auto", "off", NULL };
static const char *const auth_names[] = { "psk", "cert", NULL };
static const char *const p1_mode_names[] = { "main", "aggressive", NULL };

#define TUNNEL_MIN_PSK 16		/* shorter PSKs get a warning */
#define TUNNEL_MAX_NAME_LEN 255		/* descriptions, FQDNs, IDs */
#define TUNNEL_MAX_PORT 65535
#define TUNNEL_MAX_DPD_MAXFAIL 100
#define TUNNEL_MAX_RETRANSMIT_TRIES 100
#define TUNNEL_MAX_PROPOSALS 64
#define TUNNEL_MAX_LIST 64		/* entries in a comma-separated list */
#define TUNNEL_MAX_PATH 4096		/* characters of a file path */
#define TUNNEL_MAX_SECONDS 3600		/* retransmit timeout and base */

/* What a build pass carries around. */
struct builder {
	struct tc_errors *errs;
};

struct key;

/* A value parser: check the value of key/value node n and store it in field (the place the
 * key's table row points at). 0, or -1 after reporting at the value's FILE:LINE:COL. */
typedef int parse_fn(struct builder *b, const struct conf_node *n, const struct key *k, void *field);

/* One row of a key table: the key, the parser of its value, and where the value goes. */
struct key {
	const char *name;
	parse_fn *parse;
	size_t off;			/* into the struct the section fills */
	const char *const *names;	/* parse_enum: the allowed words */
	unsigned long long min, max;	/* parse_uint, parse_duration, parse_dh: bounds */
};

/* Sub-sections each section may hold, for "did you mean" and unknown-section errors. */
static const char *const top_sections[] = { "global", "tunnels", NULL };
static const char *const global_sections[] = { "keepalive", "logging", "retransmit", NULL };
static const char *const p1_sections[] = { "phase2", "proposals", NULL };

static void err_at(struct builder *b, const struct conf_node *n, bool at_value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void err_at(struct builder *b, const struct conf_node *n, bool at_value, const char *fmt, ...)
{
	bool v = at_value && n->type == CONF_KV;
	va_list ap;

	va_start(ap, fmt);
	tc_errors_vadd(b->errs, false, n->file, v ? n->vline : n->line, v ? n->vcol : n->col, fmt, ap);
	va_end(ap);
}

static struct tunnel_pos pos_of(const struct conf_node *n)
{
	return (struct tunnel_pos){ n->file, n->line, n->col };
}

/* Where the value of key name is written in section sec (NULL: a model built by hand), else
 * fallback: a message about a key points at the line that sets it, at the section only when
 * the key is not written. */
static struct tunnel_pos value_pos(const struct conf_node *sec, const char *name, struct tunnel_pos fallback)
{
	const struct conf_node *kv = sec ? conf_find(sec, name, CONF_KV) : NULL;

	return kv ? (struct tunnel_pos){ kv->file, kv->vline, kv->vcol } : fallback;
}

/* Of keys x and y, the one written last in sec (x when neither is, or sec is NULL): of two
 * keys that cannot go together, the one that makes the pair wrong. */
static const char *later_key(const struct conf_node *sec, const char *x, const char *y)
{
	const char *last = x;

	for (size_t i = 0; sec && i < sec->n_child; i++) {
		const struct conf_node *n = sec->child[i];
		if (n->type == CONF_KV && (strcmp(n->name, x) == 0 || strcmp(n->name, y) == 0))
			last = n->name;
	}
	return last;
}

/* A warning about key name: at its value in section sec, else at fallback. */
static void warn_key(struct tc_errors *errs, const struct conf_node *sec, const char *name,
		     const struct tunnel_pos *fallback, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void warn_key(struct tc_errors *errs, const struct conf_node *sec, const char *name,
		     const struct tunnel_pos *fallback, const char *fmt, ...)
{
	struct tunnel_pos p = value_pos(sec, name, *fallback);
	va_list ap;

	va_start(ap, fmt);
	tc_errors_vadd(errs, true, p.file, p.line, p.col, fmt, ap);
	va_end(ap);
}

/* ---- "did you mean" ---- */

/* Edit distance (insert, delete, substitute), capped at short names. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* Closest of the candidates (keys and section names) within distance 2, or NULL. */
static const char *closest(const char *name, const struct key *keys, size_t n_keys,
			   const char *const *sections)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < n_keys; i++) {
		size_t d = edit_distance(name, keys[i].name);
		if (d < best_d) {
			best_d = d;
			best = keys[i].name;
		}
	}
	for (size_t i = 0; sections && sections[i]; i++) {
		size_t d = edit_distance(name, sections[i]);
		if (d < best_d) {
			best_d = d;
			best = sections[i];
		}
	}
	return best;
}

static void err_unknown(struct builder *b, const struct conf_node *n, const char *where,
			const struct key *keys, size_t n_keys, const char *const *sections)
{
	const char *hint = closest(n->name, keys, n_keys, sections);
	const char *what = n->type == CONF_SECTION ? "section" : "key";

	if (hint)
		err_at(b, n, false, "unknown %s '%s' in %s (did you mean '%s'?)", what, n->name, where, hint);
	else
		err_at(b, n, false, "unknown %s '%s' in %s", what, n->name, where);
}

/* ---- value checks shared by the parsers and the model ---- */

static int names_index(const char *const *names, const char *v)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

static void names_join(const char *const *names, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; names[i] && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " | " : "", names[i]);
}

/* Decimal digits only, no sign, no overflow. */
static bool scan_uint(const char *v, unsigned long long *out)
{
	unsigned long long x = 0;

	if (!*v)
		return false;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v) || x > (ULLONG_MAX - 9) / 10)
			return false;
		x = x * 10 + (unsigned)(*v - '0');
	}
	*out = x;
	return true;
}

static bool is_addr(const char *v)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, v, tmp) == 1 || inet_pton(AF_INET6, v, tmp) == 1;
}

/* A DNS name: labels of letters, digits and hyphens separated by dots. */
static bool is_fqdn(const char *v)
{
	size_t label = 0, len = strlen(v);

	if (len == 0 || len > TUNNEL_MAX_NAME_LEN)
		return false;
	for (const char *p = v; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*p) || *p == '-' || *p == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool is_ifname(const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len >= IFNAMSIZ)
		return false;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

/* A network as prefix/len (or a bare address); fills family and prefix length. */
static bool parse_cidr(const char *v, int *family, unsigned char addr[16], unsigned *plen)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	unsigned long long l;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return false;
	memcpy(tmp, v, alen);
	tmp[alen] = '\0';
	if (inet_pton(AF_INET, tmp, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, tmp, addr) == 1)
		*family = AF_INET6;
	else
		return false;
	if (!slash) {
		*plen = *family == AF_INET ? 32 : 128;
		return true;
	}
	if (!scan_uint(slash + 1, &l) || l > (*family == AF_INET ? 32u : 128u))
		return false;
	*plen = (unsigned)l;
	return true;
}

static bool is_cidr(const char *v)
{
	unsigned char a[16];
	unsigned plen;
	int fam;

	return parse_cidr(v, &fam, a, &plen);
}

static bool is_esp_enc(const char *v)
{
	const struct proposal_enc *e = proposal_find_enc(v);

	return e && e->esp;
}

static bool is_hash(const char *v)
{
	return proposal_find_hash(v) != NULL;
}

/* Split a comma-separated list into trimmed items; false on an empty item or too many. */
static bool split_list(const char *v, struct strv *out)
{
	const char *p = v;

	*out = (struct strv){ 0 };
	for (;;) {
		const char *e = strchr(p, ',');
		const char *end = e ? e : p + strlen(p);
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *q = end;
		while (q > p && isspace((unsigned char)q[-1]))
			q--;
		if (q == p || out->n >= TUNNEL_MAX_LIST) {
			strv_free(out);
			return false;
		}
		strv_push(out, xstrndup(p, (size_t)(q - p)));
		if (!e)
			return true;
		p = e + 1;
	}
}

/* Replace the string in field by a copy of v. */
static void set_str(void *field, const char *v)
{
	free(*(char **)field);
	*(char **)field = xstrdup(v);
}

/* ---- value parsers: one per kind of value, named in the key tables ---- */

/* A string of min to max characters into field. */
static int parse_sized(struct builder *b, const struct conf_node *n, void *field, size_t min, size_t max)
{
	size_t len = strlen(n->value);

	if (len < min || len > max) {
		err_at(b, n, true, "%s is empty or too long", n->name);
		return -1;
	}
	set_str(field, n->value);
	return 0;
}

/* Free text (descriptions): at most TUNNEL_MAX_NAME_LEN characters, empty allowed. */
static int parse_text(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_sized(b, n, field, 0, TUNNEL_MAX_NAME_LEN);
}

/* A file path: 1 to TUNNEL_MAX_PATH characters. */
static int parse_path(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_sized(b, n, field, 1, TUNNEL_MAX_PATH);
}

/* A pre-shared key: 1 to TUNNEL_MAX_NAME_LEN characters; the old one is wiped. */
static int parse_psk(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	if (!*n->value || strlen(n->value) > TUNNEL_MAX_NAME_LEN) {
		err_at(b, n, true, "psk must be 1 to %d characters", TUNNEL_MAX_NAME_LEN);
		return -1;
	}
	secret_free(*(char **)field);
	*(char **)field = xstrdup(n->value);
	return 0;
}

/* yes | no (or true | false) into a bool. */
static int parse_bool(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	if (strcmp(n->value, "yes") == 0 || strcmp(n->value, "true") == 0) {
		*(bool *)field = true;
	} else if (strcmp(n->value, "no") == 0 || strcmp(n->value, "false") == 0) {
		*(bool *)field = false;
	} else {
		err_at(b, n, true, "bad %s '%s': use yes | no", n->name, n->value);
		return -1;
	}
	return 0;
}

/* Phase 1 mode: main | aggressive into a bool (true = aggressive). */
static int parse_p1_mode(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	int idx = names_index(p1_mode_names, n->value);

	(void)k;
	if (idx < 0) {
		err_at(b, n, true, "bad mode '%s': use main | aggressive", n->value);
		return -1;
	}
	*(bool *)field = idx == 1;
	return 0;
}

/* One of the row's names into an int-sized enum (the index in names). */
static int parse_enum(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	int idx = names_index(k->names, n->value);
	char allowed[256];

	if (idx < 0) {
		names_join(k->names, allowed, sizeof(allowed));
		err_at(b, n, true, "bad %s '%s': use %s", n->name, n->value, allowed);
		return -1;
	}
	*(int *)field = idx;
	return 0;
}

/* A whole number in [min, max] into an unsigned. */
static int parse_uint(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	unsigned long long u;

	if (!scan_uint(n->value, &u) || u < k->min || u > k->max) {
		err_at(b, n, true, "bad %s '%s': use a whole number from %llu to %llu", n->name, n->value, k->min, k->max);
		return -1;
	}
	*(unsigned *)field = (unsigned)u;
	return 0;
}

/* A duration (s, m, h, d suffixes) in [min, max] seconds into an unsigned long long. */
static int parse_duration(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	unsigned long long u;

	if (conf_parse_duration(n->value, &u) != 0 || u < k->min || u > k->max) {
		err_at(b, n, true, "bad %s '%s': use a duration from %llus to %llus (suffix s, m, h or d)",
		       n->name, n->value, k->min, k->max);
		return -1;
	}
	*(unsigned long long *)field = u;
	return 0;
}

/* A number above 0 and at most TUNNEL_MAX_SECONDS (retransmit timeout and base) into a double. */
static int parse_number(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	char *end;
	double d = strtod(n->value, &end);

	(void)k;
	if (!*n->value || *end || !(d > 0 && d <= TUNNEL_MAX_SECONDS)) {
		err_at(b, n, true, "bad %s '%s': use a number above 0 and at most %d", n->name, n->value,
		       TUNNEL_MAX_SECONDS);
		return -1;
	}
	*(double *)field = d;
	return 0;
}

/* A string value that passes ok into field; advice completes "bad KEY 'VALUE': ...". */
static int parse_checked(struct builder *b, const struct conf_node *n, void *field, bool (*ok)(const char *),
			 const char *advice)
{
	if (!ok(n->value)) {
		err_at(b, n, true, "bad %s '%s': %s", n->name, n->value, advice);
		return -1;
	}
	set_str(field, n->value);
	return 0;
}

static bool is_host(const char *v)
{
	return is_addr(v) || is_fqdn(v);
}

/* A network, or a name that can only be an interface (not an address, no leading digit). */
static bool is_selector(const char *v)
{
	return is_cidr(v) || (is_ifname(v) && !is_addr(v) && !isdigit((unsigned char)v[0]));
}

/* An IPv4 or IPv6 address. */
static int parse_address(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_checked(b, n, field, is_addr, "use an IPv4 or IPv6 address");
}

/* An address or a host name (remote_gateway). */
static int parse_host(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_checked(b, n, field, is_host, "use an IP address, a host name, or 0.0.0.0 (or ::) for any peer");
}

/* A network interface name. */
static int parse_ifname(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_checked(b, n, field, is_ifname, "not an interface name");
}

/* A phase 2 selector: a network, an address, or an interface name (resolved on load). */
static int parse_selector(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_checked(b, n, field, is_selector, "use a network (10.1.0.0/24), an address or an interface name");
}

/* Whether the part after "type:" of an identity is well formed for that type. */
static bool id_value_ok(int type, const char *s, size_t len)
{
	const char *at = strchr(s, '@');

	switch (type) {
	case TUNNEL_ID_ADDRESS:
		return is_addr(s);
	case TUNNEL_ID_FQDN:
		return is_fqdn(s);
	case TUNNEL_ID_USER_FQDN:
		return at && at != s && at[1];
	case TUNNEL_ID_KEYID:
		return len > 0 && len % 2 == 0 && strspn(s, "0123456789abcdefABCDEF") == len;
	default:
		return len > 0 && strchr(s, '=') != NULL;	/* asn1dn: C=.., O=.. */
	}
}

/* An identity: `own` (myaddress or peeraddress), any, or TYPE:VALUE. */
static int parse_id(struct builder *b, const struct conf_node *n, struct tunnel_id *id, enum tunnel_id_type own)
{
	const char *v = n->value, *colon = strchr(v, ':');
	char type[16];
	int t;

	if (!colon) {
		t = names_index(tunnel_id_type_names, v);
		if (t == TUNNEL_ID_ANY || t == (int)own) {
			id->type = (enum tunnel_id_type)t;
			return 0;
		}
		err_at(b, n, true, "bad %s '%s': use %s | any | address:IP | fqdn:NAME | user_fqdn:USER@DOMAIN | asn1dn:\"DN\" | keyid:HEX",
		       n->name, v, tunnel_id_type_names[own]);
		return -1;
	}
	if ((size_t)(colon - v) >= sizeof(type)) {
		err_at(b, n, true, "bad %s type in '%s'", n->name, v);
		return -1;
	}
	memcpy(type, v, (size_t)(colon - v));
	type[colon - v] = '\0';
	t = names_index(tunnel_id_type_names, type);
	if (t < TUNNEL_ID_ADDRESS) {
		err_at(b, n, true, "bad %s type '%s': use address | fqdn | user_fqdn | asn1dn | keyid", n->name, type);
		return -1;
	}
	const char *val = colon + 1;
	size_t len = strlen(val);
	if (len >= 2 && val[0] == '"' && val[len - 1] == '"') {
		val++;
		len -= 2;
	}
	char *s = xstrndup(val, len);
	if (!id_value_ok(t, s, len) || len > TUNNEL_MAX_NAME_LEN) {
		err_at(b, n, true, "bad %s value '%s' for type %s", n->name, s, type);
		free(s);
		return -1;
	}
	free(id->value);
	id->type = (enum tunnel_id_type)t;
	id->value = s;
	return 0;
}

/* local_id: myaddress, any or TYPE:VALUE. */
static int parse_local_id(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_id(b, n, field, TUNNEL_ID_MYADDRESS);
}

/* remote_id: peeraddress, any or TYPE:VALUE. */
static int parse_remote_id(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_id(b, n, field, TUNNEL_ID_PEERADDRESS);
}

/* One IKE encryption name (a phase 1 proposal's). */
static int parse_ike_enc(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	const struct proposal_enc *e = proposal_find_enc(n->value);

	(void)k;
	if (!e || !e->ike) {
		err_at(b, n, true, "unknown IKE encryption '%s': use one of %s", n->value, proposal_enc_names());
		return -1;
	}
	set_str(field, n->value);
	return 0;
}

/* One hash name (a phase 1 proposal's hash or prf). */
static int parse_hash(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	if (!is_hash(n->value)) {
		err_at(b, n, true, "unknown %s '%s': use one of %s", n->name, n->value, proposal_hash_names());
		return -1;
	}
	set_str(field, n->value);
	return 0;
}

/* A pfSense DH group number; 0 (no PFS) only when the row's min is 0. */
static int parse_dh(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	unsigned long long u;

	if (!scan_uint(n->value, &u) || u > TUNNEL_MAX_ID || (u == 0 && k->min) ||
	    (u != 0 && !proposal_dh_keyword((unsigned)u))) {
		err_at(b, n, true, "bad %s '%s': use a DH group: 1, 2, 5, 14 to 32%s", n->name, n->value,
		       k->min ? "" : ", or 0 for no PFS");
		return -1;
	}
	*(unsigned *)field = (unsigned)u;
	return 0;
}

/* A comma-separated list whose every item passes ok into a struct strv; what names the
 * allowed items in the message. */
static int parse_list(struct builder *b, const struct conf_node *n, struct strv *field,
		      bool (*ok)(const char *), const char *what)
{
	struct strv items;

	if (!split_list(n->value, &items)) {
		err_at(b, n, true, "bad %s '%s': use a comma-separated list without empty entries", n->name, n->value);
		return -1;
	}
	for (size_t i = 0; i < items.n; i++) {
		if (!ok(items.v[i])) {
			err_at(b, n, true, "bad %s entry '%s': use %s", n->name, items.v[i], what);
			strv_free(&items);
			return -1;
		}
	}
	strv_free(field);
	*field = items;
	return 0;
}

/* Phase 2 ESP encryption names. */
static int parse_enc_list(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_list(b, n, field, is_esp_enc, proposal_enc_names());
}

/* Phase 2 integrity names. */
static int parse_hash_list(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_list(b, n, field, is_hash, proposal_hash_names());
}

/* Networks (bypass_networks). */
static int parse_cidr_list(struct builder *b, const struct conf_node *n, const struct key *k, void *field)
{
	(void)k;
	return parse_list(b, n, field, is_cidr, "networks like 10.1.0.0/24");
}

/* ---- key tables: each sorted by name (searched with bsearch) ---- */

#define P1(f) offsetof(struct tunnel_phase1, f)
#define P2(f) offsetof(struct tunnel_phase2, f)
#define PR(f) offsetof(struct tunnel_proposal, f)
#define GL(f) offsetof(struct tunnel_global, f)
#define DUR_MAX (10ULL * 365 * 86400)

static const struct key p1_keys[] = {
	{ "auth", parse_enum, P1(auth), auth_names, 0, 0 },
	{ "ca", parse_path, P1(ca), NULL, 0, 0 },
	{ "cert", parse_path, P1(cert), NULL, 0, 0 },
	{ "close_action", parse_enum, P1(close_action), tunnel_action_names, 0, 0 },
	{ "description", parse_text, P1(description), NULL, 0, 0 },
	{ "dpd_delay", parse_duration, P1(dpd_delay), NULL, 0, 3600 },
	{ "dpd_maxfail", parse_uint, P1(dpd_maxfail), NULL, 1, TUNNEL_MAX_DPD_MAXFAIL },
	{ "enabled", parse_bool, P1(enabled), NULL, 0, 0 },
	{ "ike_port", parse_uint, P1(ike_port), NULL, 1, TUNNEL_MAX_PORT },
	{ "interface", parse_ifname, P1(interface), NULL, 0, 0 },
	{ "key", parse_path, P1(key), NULL, 0, 0 },
	{ "lifetime", parse_duration, P1(lifetime), NULL, 60, DUR_MAX },
	{ "local_address", parse_address, P1(local_address), NULL, 0, 0 },
	{ "local_id", parse_local_id, P1(local_id), NULL, 0, 0 },
	{ "mobike", parse_bool, P1(mobike), NULL, 0, 0 },
	{ "mode", parse_p1_mode, P1(aggressive), NULL, 0, 0 },
	{ "nat_traversal", parse_enum, P1(nat_traversal), natt_names, 0, 0 },
	{ "natt_port", parse_uint, P1(natt_port), NULL, 1, TUNNEL_MAX_PORT },
	{ "over_time", parse_duration, P1(over_time), NULL, 0, DUR_MAX },
	{ "psk", parse_psk, P1(psk), NULL, 0, 0 },
	{ "psk_file", parse_path, P1(psk_file), NULL, 0, 0 },
	{ "rand_time", parse_duration, P1(rand_time), NULL, 0, DUR_MAX },
	{ "reauth_time", parse_duration, P1(reauth_time), NULL, 0, DUR_MAX },
	{ "rekey_time", parse_duration, P1(rekey_time), NULL, 0, DUR_MAX },
	{ "remote_gateway", parse_host, P1(remote_gateway), NULL, 0, 0 },
	{ "remote_id", parse_remote_id, P1(remote_id), NULL, 0, 0 },
	{ "split_connections", parse_bool, P1(split_connections), NULL, 0, 0 },
	{ "start_action", parse_enum, P1(start_action), tunnel_action_names, 0, 0 },
	{ "version", parse_enum, P1(version), tunnel_version_names, 0, 0 },
};

static const struct key p2_keys[] = {
	{ "description", parse_text, P2(description), NULL, 0, 0 },
	{ "enabled", parse_bool, P2(enabled), NULL, 0, 0 },
	{ "encryption", parse_enc_list, P2(encryption), NULL, 0, 0 },
	{ "hash", parse_hash_list, P2(hash), NULL, 0, 0 },
	{ "keepalive", parse_bool, P2(keepalive), NULL, 0, 0 },
	{ "lifetime", parse_duration, P2(lifetime), NULL, 60, DUR_MAX },
	{ "local", parse_selector, P2(local), NULL, 0, 0 },
	{ "mode", parse_enum, P2(mode), tunnel_mode_names, 0, 0 },
	{ "pfs_group", parse_dh, P2(pfs_group), NULL, 0, 0 },
	{ "ping_host", parse_address, P2(ping_host), NULL, 0, 0 },
	{ "protocol", parse_enum, P2(protocol), tunnel_proto_names, 0, 0 },
	{ "rand_time", parse_duration, P2(rand_time), NULL, 0, DUR_MAX },
	{ "rekey_time", parse_duration, P2(rekey_time), NULL, 0, DUR_MAX },
	{ "remote", parse_selector, P2(remote), NULL, 0, 0 },
	{ "stall_action", parse_enum, P2(stall_action), tunnel_stall_names, 0, 0 },
};

static const struct key proposal_keys[] = {
	{ "dh_group", parse_dh, PR(dh_group), NULL, 1, 0 },
	{ "encryption", parse_ike_enc, PR(encryption), NULL, 0, 0 },
	{ "hash", parse_hash, PR(hash), NULL, 0, 0 },
	{ "prf", parse_hash, PR(prf), NULL, 0, 0 },
};

static const struct key global_keys[] = {
	{ "bypass_networks", parse_cidr_list, GL(bypass_networks), NULL, 0, 0 },
	{ "firewall", parse_enum, GL(firewall), firewall_names, 0, 0 },
	{ "unique_ids", parse_enum, GL(unique_ids), tunnel_unique_names, 0, 0 },
};

static const struct key retransmit_keys[] = {
	{ "base", parse_number, GL(retransmit_base), NULL, 0, 0 },
	{ "timeout", parse_number, GL(retransmit_timeout), NULL, 0, 0 },
	{ "tries", parse_uint, GL(retransmit_tries), NULL, 1, TUNNEL_MAX_RETRANSMIT_TRIES },
};

static const struct key keepalive_keys[] = {
	{ "interval", parse_duration, GL(keepalive_interval), NULL, 1, 86400 },
	{ "ping_interval", parse_duration, GL(ping_interval), NULL, 1, 86400 },
};

static int key_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, ((const struct key *)b)->name);
}

/* Fill obj from the key/value children of sec using keys; sub-sections are left to the
 * caller (accepted names in sections). Duplicate keys and unknown keys are errors. */
static void fill_keys(struct builder *b, const struct conf_node *sec, const char *where,
		      const struct key *keys, size_t n_keys, const char *const *sections, void *obj)
{
	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *n = sec->child[i];
		if (n->type == CONF_SECTION) {
			if (!sections || names_index(sections, n->name) < 0)
				err_unknown(b, n, where, keys, n_keys, sections);
			continue;
		}
		const struct key *k = bsearch(n->name, keys, n_keys, sizeof(*keys), key_cmp);
		if (!k) {
			err_unknown(b, n, where, keys, n_keys, sections);
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (sec->child[j]->type == n->type && strcmp(sec->child[j]->name, n->name) == 0) {
				err_at(b, n, false, "duplicate key '%s' in %s (first at line %u)", n->name, where,
				       sec->child[j]->line);
				goto next;
			}
		}
		k->parse(b, n, k, (char *)obj + k->off);
next:;
	}
}

/* Sub-section of sec named name, reporting a duplicate; NULL if absent. */
static const struct conf_node *sub_section(struct builder *b, const struct conf_node *sec, const char *name)
{
	const struct conf_node *found = NULL;

	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *n = sec->child[i];
		if (n->type != CONF_SECTION || strcmp(n->name, name) != 0)
			continue;
		if (found)
			err_at(b, n, false, "duplicate section '%s' (first at line %u)", name, found->line);
		else
			found = n;
	}
	return found;
}

/* A section name that must be an ID 1..15999. */
static bool section_id(struct builder *b, const struct conf_node *n, const char *what, unsigned *id)
{
	unsigned long long u;

	if (n->type != CONF_SECTION) {
		err_at(b, n, false, "'%s' is a key; %s entries are sections: %s { ... }", n->name, what, n->name);
		return false;
	}
	if (!scan_uint(n->name, &u) || u < 1 || u > TUNNEL_MAX_ID || n->name[0] == '0') {
		err_at(b, n, false, "bad %s '%s': use a number from 1 to %d", what, n->name, TUNNEL_MAX_ID);
		return false;
	}
	*id = (unsigned)u;
	return true;
}

/* ---- defaults (pfSense's for a new entry) ---- */

static void global_defaults(struct tunnel_global *g)
{
	memset(g, 0, sizeof(*g));
	g->unique_ids = TUNNEL_UNIQUE_REPLACE;
	g->firewall = TUNNEL_FIREWALL_AUTO;
	for (size_t i = 0; i < TUNNEL_LOG_CATEGORIES; i++)
		g->log_level[i] = 1;
	g->log_level[2] = g->log_level[3] = g->log_level[5] = 2;	/* ike chd cfg */
	g->retransmit_tries = 5;
	g->retransmit_timeout = 4.0;
	g->retransmit_base = 1.8;
	g->keepalive_interval = 30;
	g->ping_interval = 60;
}

static void p1_defaults(struct tunnel_phase1 *p1)
{
	memset(p1, 0, sizeof(*p1));
	p1->enabled = true;
	p1->version = TUNNEL_IKEV2;
	p1->ike_port = 500;
	p1->natt_port = 4500;
	p1->local_id.type = TUNNEL_ID_MYADDRESS;
	p1->remote_id.type = TUNNEL_ID_PEERADDRESS;
	p1->auth = TUNNEL_AUTH_PSK;
	p1->lifetime = 28800;
	p1->rekey_time = p1->reauth_time = p1->rand_time = p1->over_time = TUNNEL_UNSET;
	p1->dpd_delay = 10;
	p1->dpd_maxfail = 5;
}

static void p2_defaults(struct tunnel_phase2 *p2)
{
	memset(p2, 0, sizeof(*p2));
	p2->enabled = true;
	p2->mode = TUNNEL_MODE_TUNNEL;
	p2->protocol = TUNNEL_PROTO_ESP;
	p2->pfs_group = 14;
	p2->lifetime = 3600;
	p2->rekey_time = p2->rand_time = TUNNEL_UNSET;
}

/* ---- sections ---- */

static void build_logging(struct builder *b, const struct conf_node *sec, struct tunnel_global *g)
{
	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *n = sec->child[i];
		int cat = -1;
		for (int c = 0; c < TUNNEL_LOG_CATEGORIES; c++)
			if (strcmp(tunnel_log_category_names[c], n->name) == 0)
				cat = c;
		if (n->type != CONF_KV || cat < 0) {
			err_at(b, n, false, "unknown log category '%s': use dmn mgr ike chd job cfg knl net asn enc imc imv pts tls esp lib",
			       n->name);
			continue;
		}
		const char *v = n->value;
		bool neg = v[0] == '-';
		unsigned long long u;
		if (!scan_uint(v + neg, &u) || (neg && u != 1) || (!neg && u > 4)) {
			err_at(b, n, true, "bad log level '%s' for %s: use -1 (silent) to 4 (highest)", v, n->name);
			continue;
		}
		g->log_level[cat] = neg ? -1 : (int)u;
	}
}

static void build_global(struct builder *b, const struct conf_node *sec, struct tunnel_global *g)
{
	const struct conf_node *s;

	fill_keys(b, sec, "global", global_keys, ARRAY_SIZE(global_keys), global_sections, g);
	if ((s = sub_section(b, sec, "logging")))
		build_logging(b, s, g);
	if ((s = sub_section(b, sec, "retransmit")))
		fill_keys(b, s, "global.retransmit", retransmit_keys, ARRAY_SIZE(retransmit_keys), NULL, g);
	if ((s = sub_section(b, sec, "keepalive")))
		fill_keys(b, s, "global.keepalive", keepalive_keys, ARRAY_SIZE(keepalive_keys), NULL, g);
}

/* Report at the value of key name in sec, or at sec itself when the key is not written there:
 * an error about a key points at the line that sets it. */
static void err_key(struct builder *b, const struct conf_node *sec, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void err_key(struct builder *b, const struct conf_node *sec, const char *name, const char *fmt, ...)
{
	struct tunnel_pos p = value_pos(sec, name, pos_of(sec));
	va_list ap;

	va_start(ap, fmt);
	tc_errors_vadd(b->errs, false, p.file, p.line, p.col, fmt, ap);
	va_end(ap);
}

static void build_proposals(struct builder *b, const struct conf_node *sec, struct tunnel_phase1 *p1)
{
	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *n = sec->child[i];
		unsigned id;
		if (!section_id(b, n, "proposal number", &id))
			continue;
		if (p1->n_proposals >= TUNNEL_MAX_PROPOSALS) {
			err_at(b, n, false, "too many proposals (at most %d)", TUNNEL_MAX_PROPOSALS);
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(sec->child[j]->name, n->name) == 0)
				err_at(b, n, false, "duplicate proposal %s (first at line %u)", n->name, sec->child[j]->line);
		p1->proposals = xrealloc(p1->proposals, (p1->n_proposals + 1) * sizeof(*p1->proposals));
		struct tunnel_proposal *pr = &p1->proposals[p1->n_proposals++];
		memset(pr, 0, sizeof(*pr));
		pr->dh_group = 14;
		pr->pos = pos_of(n);
		pr->sec = n;
		fill_keys(b, n, "proposal", proposal_keys, ARRAY_SIZE(proposal_keys), NULL, pr);
		const struct proposal_enc *e = pr->encryption ? proposal_find_enc(pr->encryption) : NULL;
		if (!pr->encryption)
			err_at(b, n, false, "proposal %s needs an encryption (e.g. encryption = aes256)", n->name);
		else if (e && e->aead && p1->version == TUNNEL_IKEV1)
			err_key(b, n, "encryption", "tunnel %u: IKEv1 has no AEAD phase 1 encryption (%s); use e.g. aes256 with hash = sha256",
				p1->ikeid, pr->encryption);
		/* pfSense's defaults: hash SHA256; with AEAD the hash is not an integrity algorithm
		 * but the PRF (pfSense writes aes256gcm128-sha256-...), and with neither a hash nor
		 * a prf the PRF is SHA256 */
		if (e && !e->aead && !pr->hash)
			pr->hash = xstrdup("sha256");
		if (e && e->aead && !pr->hash && !pr->prf)
			pr->prf = xstrdup("sha256");
	}
}

/* The default proposal of a new pfSense phase 1: aes128-sha256-modp2048. */
static void default_proposal(struct tunnel_phase1 *p1)
{
	p1->proposals = xcalloc(1, sizeof(*p1->proposals));
	p1->n_proposals = 1;
	p1->proposals[0].encryption = xstrdup("aes128");
	p1->proposals[0].hash = xstrdup("sha256");
	p1->proposals[0].dh_group = 14;
	p1->proposals[0].pos = p1->pos;
}

static bool selector_family(const char *sel, int *family)
{
	unsigned char a[16];
	unsigned plen;

	return parse_cidr(sel, family, a, &plen);
}

/* tunnel carries IPv4, tunnel6 IPv6, as in pfSense; local and remote of one family. */
static void check_p2_families(struct builder *b, const struct conf_node *n, const struct tunnel_phase2 *p2)
{
	int fl, fr;

	if (!p2->local || !p2->remote || !selector_family(p2->local, &fl) || !selector_family(p2->remote, &fr))
		return;
	if (fl != fr)
		err_key(b, n, later_key(n, "local", "remote"), "phase 2 %u: local %s and remote %s are of different IP families",
			p2->reqid, p2->local, p2->remote);
	else if (p2->mode == TUNNEL_MODE_TUNNEL && fl == AF_INET6)
		err_key(b, n, conf_find(n, "mode", CONF_KV) ? "mode" : "local", "phase 2 %u: IPv6 networks need mode = tunnel6",
			p2->reqid);
	else if (p2->mode == TUNNEL_MODE_TUNNEL6 && fl == AF_INET)
		err_key(b, n, "mode", "phase 2 %u: IPv4 networks need mode = tunnel", p2->reqid);
}

static void build_phase2(struct builder *b, const struct conf_node *n, unsigned reqid, struct tunnel_phase1 *p1)
{
	struct tunnel_phase2 *p2;

	p1->p2 = xrealloc(p1->p2, (p1->n_p2 + 1) * sizeof(*p1->p2));
	p2 = &p1->p2[p1->n_p2++];
	p2_defaults(p2);
	p2->reqid = reqid;
	p2->pos = pos_of(n);
	p2->sec = n;
	fill_keys(b, n, "phase2", p2_keys, ARRAY_SIZE(p2_keys), NULL, p2);

	if (!p2->encryption.n && p2->protocol == TUNNEL_PROTO_ESP) {
		strv_push(&p2->encryption, xstrdup("aes128"));
		strv_push(&p2->encryption, xstrdup("aes128gcm128"));
	}
	if (p2->encryption.n && p2->protocol == TUNNEL_PROTO_AH)
		err_key(b, n, "encryption", "phase 2 %u: protocol ah has no encryption; remove 'encryption'", reqid);
	if (!p2->hash.n)
		strv_push(&p2->hash, xstrdup("sha256"));
	if (p2->mode != TUNNEL_MODE_TRANSPORT && (!p2->local || !p2->remote))
		err_at(b, n, false, "phase 2 %u needs local and remote networks (local = 10.1.0.0/24, remote = ...)", reqid);
	else
		check_p2_families(b, n, p2);
}

/* The phase 2 entries of a phase 1. */
static void build_phase2s(struct builder *b, const struct conf_node *sec, struct tunnel_phase1 *p1)
{
	for (size_t i = 0; i < sec->n_child; i++) {
		unsigned reqid;
		if (section_id(b, sec->child[i], "reqid", &reqid))
			build_phase2(b, sec->child[i], reqid, p1);
	}
}

/* Rules across the keys of a phase 1 (n: its section), each reported at the key whose value
 * breaks it. */
static void check_phase1(struct builder *b, const struct conf_node *n, const struct tunnel_phase1 *p1)
{
	unsigned id = p1->ikeid;
	bool any_peer = tunnel_gateway_is_any(p1->remote_gateway);

	if (any_peer && p1->start_action == TUNNEL_ACTION_START)
		err_key(b, n, "start_action", "tunnel %u: remote_gateway %s accepts any peer, so it cannot be initiated; use start_action = none or trap, or name the peer",
			id, p1->remote_gateway);
	if (any_peer && p1->remote_id.type == TUNNEL_ID_PEERADDRESS)
		err_key(b, n, conf_find(n, "remote_id", CONF_KV) ? "remote_id" : "remote_gateway",
			"tunnel %u: remote_id peeraddress needs a fixed remote_gateway; set remote_id (e.g. fqdn:peer.example.com or any)",
			id);
	if (p1->local_address && p1->interface)
		err_key(b, n, later_key(n, "local_address", "interface"),
			"tunnel %u: give local_address or interface, not both", id);
	if (p1->aggressive && p1->version != TUNNEL_IKEV1)
		err_key(b, n, "mode", "tunnel %u: mode = aggressive exists only with version = ikev1", id);
	if (p1->auth == TUNNEL_AUTH_PSK && !p1->psk && !p1->psk_file)
		err_key(b, n, "auth", "tunnel %u: auth = psk needs psk or psk_file", id);
	if (p1->auth == TUNNEL_AUTH_PSK && p1->psk && p1->psk_file)
		err_key(b, n, later_key(n, "psk", "psk_file"), "tunnel %u: give psk or psk_file, not both", id);
	if (p1->auth == TUNNEL_AUTH_CERT && (!p1->cert || !p1->key || !p1->ca))
		err_key(b, n, "auth", "tunnel %u: auth = cert needs cert, key and ca", id);
}

/* A VTI child carries its own reqid and interface ID, so it cannot share a merged child. */
static void check_vti_split(struct builder *b, const struct tunnel_phase1 *p1)
{
	if (p1->n_p2 < 2 || naming_split(p1))
		return;
	for (size_t i = 0; i < p1->n_p2; i++)
		if (p1->p2[i].mode == TUNNEL_MODE_VTI)
			err_key(b, p1->p2[i].sec, "mode", "phase 2 %u: a VTI phase 2 needs its own child; set split_connections = yes on tunnel %u",
				p1->p2[i].reqid, p1->ikeid);
}

static void build_phase1(struct builder *b, const struct conf_node *n, unsigned ikeid, struct tunnel_phase1 *p1)
{
	const struct conf_node *s;
	bool has_settings = false;

	p1_defaults(p1);
	p1->ikeid = ikeid;
	p1->pos = pos_of(n);
	p1->sec = n;
	fill_keys(b, n, "tunnel", p1_keys, ARRAY_SIZE(p1_keys), p1_sections, p1);
	for (size_t i = 0; i < n->n_child; i++)
		if (n->child[i]->type == CONF_KV)
			has_settings = true;

	if ((s = sub_section(b, n, "proposals")))
		build_proposals(b, s, p1);
	if (!p1->n_proposals && (!s || s->n_child == 0))
		default_proposal(p1);
	if ((s = sub_section(b, n, "phase2"))) {
		build_phase2s(b, s, p1);
		check_vti_split(b, p1);
	}
	/* a missing key: the section is the place to add it */
	if (!p1->remote_gateway && !has_settings && p1->n_p2)
		err_at(b, n, false, "tunnel %u has phase 2 entries but no phase 1 settings (remote_gateway, auth, ...)", ikeid);
	else if (!p1->remote_gateway)
		err_at(b, n, false, "tunnel %u needs remote_gateway (an IP, a host name, or 0.0.0.0 (or ::) for any peer)", ikeid);
	check_phase1(b, n, p1);
}

static int cmp_p1(const void *a, const void *b)
{
	const struct tunnel_phase1 *x = a, *y = b;
	return (x->ikeid > y->ikeid) - (x->ikeid < y->ikeid);
}

static int cmp_p2(const void *a, const void *b)
{
	const struct tunnel_phase2 *x = a, *y = b;
	return (x->reqid > y->reqid) - (x->reqid < y->reqid);
}

static void build_tunnels(struct builder *b, const struct conf_node *sec, struct tunnel_file *tf)
{
	/* first position of each IKE ID and reqid: IDs are small, so a table indexed by ID keeps
	 * duplicate checks linear for files with thousands of tunnels */
	struct tunnel_pos *ike_seen = xcalloc(TUNNEL_MAX_ID + 1, sizeof(*ike_seen));
	struct tunnel_pos *req_seen = xcalloc(TUNNEL_MAX_ID + 1, sizeof(*req_seen));
	size_t cap = 0;

	for (size_t i = 0; i < sec->n_child; i++) {
		const struct conf_node *n = sec->child[i];
		unsigned ikeid;
		if (!section_id(b, n, "IKE ID", &ikeid))
			continue;
		if (ike_seen[ikeid].file) {
			err_at(b, n, false, "duplicate IKE ID %u (first at %s:%u)", ikeid, ike_seen[ikeid].file,
			       ike_seen[ikeid].line);
			continue;
		}
		ike_seen[ikeid] = pos_of(n);
		if (tf->n_p1 == cap) {
			/* at most one entry per section: one allocation, none to spare */
			cap = sec->n_child;
			tf->p1 = xrealloc(tf->p1, cap * sizeof(*tf->p1));
		}
		build_phase1(b, n, ikeid, &tf->p1[tf->n_p1++]);
	}
	/* reqids are unique across the file (charon's reqid space is global) */
	for (size_t i = 0; i < tf->n_p1; i++) {
		for (size_t j = 0; j < tf->p1[i].n_p2; j++) {
			const struct tunnel_phase2 *p2 = &tf->p1[i].p2[j];
			const struct tunnel_pos *o = &req_seen[p2->reqid];
			if (o->file)
				tc_errors_add(b->errs, false, p2->pos.file, p2->pos.line, p2->pos.col,
					      "duplicate reqid %u (first at %s:%u)", p2->reqid, o->file, o->line);
			else
				req_seen[p2->reqid] = p2->pos;
		}
	}
	free(ike_seen);
	free(req_seen);
	for (size_t i = 0; i < tf->n_p1; i++)
		if (tf->p1[i].n_p2)
			qsort(tf->p1[i].p2, tf->p1[i].n_p2, sizeof(*tf->p1[i].p2), cmp_p2);
	if (tf->n_p1)
		qsort(tf->p1, tf->n_p1, sizeof(*tf->p1), cmp_p1);
}

struct tunnel_file *tunnel_from_tree(struct conf_tree *tree, struct tc_errors *errs)
{
	struct tunnel_file *tf = xcalloc(1, sizeof(*tf));
	struct builder b = { errs };
	size_t errors_before = errs->n_errors;
	const struct conf_node *root = tree->root, *s;

	tf->tree = tree;
	tf->path = xstrdup(tree->n_files ? tree->files[0] : "-");
	global_defaults(&tf->global);
	for (size_t i = 0; i < root->n_child; i++) {
		const struct conf_node *n = root->child[i];
		if (n->type != CONF_SECTION || names_index(top_sections, n->name) < 0)
			err_unknown(&b, n, "the file (top level has global { } and tunnels { })", NULL, 0, top_sections);
	}
	if ((s = sub_section(&b, root, "global")))
		build_global(&b, s, &tf->global);
	if ((s = sub_section(&b, root, "tunnels")))
		build_tunnels(&b, s, tf);
	if (errs->n_errors > errors_before) {
		tunnel_file_free(tf);
		return NULL;
	}
	return tf;
}

/* ---- secrets and files named by the model (I/O) ---- */

/* Position of key name's value in phase 1 p1's section, else of the section. */
static struct tunnel_pos key_pos(const struct tunnel_phase1 *p1, const char *name)
{
	return value_pos(p1->sec, name, p1->pos);
}

static void err_pos(struct tc_errors *errs, struct tunnel_pos p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_pos(struct tc_errors *errs, struct tunnel_pos p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tc_errors_vadd(errs, false, p.file, p.line, p.col, fmt, ap);
	va_end(ap);
}

/* Read a PSK file: must be a regular file, mode 0600 or stricter (unless !strict); one line,
 * trailing newline dropped. */
static void load_psk_file(struct tunnel_phase1 *p1, bool strict,
			  struct tc_errors *errs)
{
	struct tunnel_pos pos = key_pos(p1, "psk_file");
	struct buf data;
	struct stat st;
	int rc;

	/* type and mode are those of the descriptor read: no swap between check and read */
	rc = file_read_regular(p1->psk_file, TUNNEL_MAX_PSK_FILE, false, &data, &st);
	if (rc == -EINVAL || rc == -EISDIR) {
		err_pos(errs, pos, "psk_file %s is not a regular file", p1->psk_file);
		return;
	}
	if (rc != 0) {
		err_pos(errs, pos, "psk_file %s: %s", p1->psk_file, file_read_strerror(rc));
		return;
	}
	if (strict && (st.st_mode & 077)) {
		err_pos(errs, pos, "psk_file %s has mode %04o; secret files must be 0600 (chmod 600 %s)",
			p1->psk_file, (unsigned)(st.st_mode & 07777), p1->psk_file);
		buf_free_secret(&data);
		return;
	}
	while (data.len && (data.data[data.len - 1] == '\n' || data.data[data.len - 1] == '\r'))
		data.data[--data.len] = '\0';
	if (data.len == 0 || memchr(data.data, '\n', data.len) || strlen(data.data) != data.len)
		err_pos(errs, pos, "psk_file %s must hold the key on one line", p1->psk_file);
	else
		p1->psk = xstrdup(data.data);
	buf_free_secret(&data);
}

/* Replace an interface name in a phase 2 selector by its IPv4/IPv6 subnet. */
static void resolve_selector(char **sel, struct tunnel_pos pos, bool v6, struct tc_errors *errs)
{
	struct ifaddrs *ifa = NULL;
	unsigned char a[16];
	unsigned plen;
	int fam;

	if (parse_cidr(*sel, &fam, a, &plen))
		return;
	if (getifaddrs(&ifa) != 0) {
		err_pos(errs, pos, "cannot list interfaces to resolve '%s': %s", *sel, strerror(errno));
		return;
	}
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_netmask || strcmp(i->ifa_name, *sel) != 0)
			continue;
		if (i->ifa_addr->sa_family != (v6 ? AF_INET6 : AF_INET))
			continue;
		unsigned char *addr, *mask;
		size_t len = v6 ? 16 : 4;
		if (v6) {
			addr = ((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr.s6_addr;
			mask = ((struct sockaddr_in6 *)(void *)i->ifa_netmask)->sin6_addr.s6_addr;
		} else {
			addr = (unsigned char *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
			mask = (unsigned char *)&((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr;
		}
		char txt[INET6_ADDRSTRLEN];
		unsigned bits = 0;
		for (size_t k = 0; k < len; k++) {
			a[k] = addr[k] & mask[k];
			bits += (unsigned)__builtin_popcount(mask[k]);
		}
		inet_ntop(v6 ? AF_INET6 : AF_INET, a, txt, sizeof(txt));
		free(*sel);
		*sel = xasprintf("%s/%u", txt, bits);
		freeifaddrs(ifa);
		return;
	}
	freeifaddrs(ifa);
	err_pos(errs, pos, "interface '%s' has no %s address on this machine", *sel, v6 ? "IPv6" : "IPv4");
}

/* Make a relative path absolute, relative to the directory of the file that named it (as
 * includes are), so generated configs never depend on the current directory. */
static void resolve_path(const struct tunnel_phase1 *p1, const char *key, char **path)
{
	struct tunnel_pos pos;
	const char *slash;
	char *dir, *real;

	if (!*path || (*path)[0] == '/')
		return;
	pos = key_pos(p1, key);
	slash = strrchr(pos.file, '/');
	dir = slash ? xstrndup(pos.file, (size_t)(slash - pos.file)) : xstrdup(".");
	real = realpath(*dir ? dir : "/", NULL);
	if (real) {
		char *abs = xasprintf("%s/%s", strcmp(real, "/") == 0 ? "" : real, *path);
		free(*path);
		*path = abs;
		free(real);
	}
	free(dir);
}

/* local_address from `interface`: its first IPv4 address, else its first IPv6 one. */
static void resolve_interface(struct tunnel_phase1 *p1, struct tc_errors *errs)
{
	struct ifaddrs *ifa = NULL;
	char txt[INET6_ADDRSTRLEN] = "";

	if (!p1->interface || p1->local_address)
		return;
	if (getifaddrs(&ifa) != 0) {
		err_pos(errs, key_pos(p1, "interface"), "cannot list interfaces: %s", strerror(errno));
		return;
	}
	for (int pass = 0; pass < 2 && !txt[0]; pass++) {
		int fam = pass == 0 ? AF_INET : AF_INET6;
		for (struct ifaddrs *i = ifa; i && !txt[0]; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != fam || strcmp(i->ifa_name, p1->interface) != 0)
				continue;
			const void *addr = fam == AF_INET ? (const void *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr
							  : (const void *)&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
			inet_ntop(fam, addr, txt, sizeof(txt));
		}
	}
	freeifaddrs(ifa);
	if (txt[0])
		p1->local_address = xstrdup(txt);
	else
		err_pos(errs, key_pos(p1, "interface"), "interface '%s' has no address on this machine",
			p1->interface);
}

/* Resolve paths and selectors; strict: read psk_file (0600 only) and require cert/key/ca to
 * exist (key 0600); lenient: read psk_file if it can, leave it unset otherwise, check nothing. */
static int load_secrets(struct tunnel_file *tf, bool strict, struct tc_errors *errs)
{
	size_t before = errs->n_errors;

	for (size_t i = 0; i < tf->n_p1; i++) {
		struct tunnel_phase1 *p1 = &tf->p1[i];
		resolve_interface(p1, errs);
		resolve_path(p1, "psk_file", &p1->psk_file);
		resolve_path(p1, "cert", &p1->cert);
		resolve_path(p1, "key", &p1->key);
		resolve_path(p1, "ca", &p1->ca);
		if (p1->psk_file && !p1->psk && strict) {
			load_psk_file(p1, true, errs);
		} else if (p1->psk_file && !p1->psk) {
			struct tc_errors ignored = { 0 };
			load_psk_file(p1, false, &ignored);
			tc_errors_free(&ignored);
		}
		const char *files[] = { p1->cert, p1->key, p1->ca };
		const char *keys[] = { "cert", "key", "ca" };
		for (size_t k = 0; strict && k < ARRAY_SIZE(files); k++)
			if (files[k] && access(files[k], R_OK) != 0)
				err_pos(errs, key_pos(p1, keys[k]), "%s %s: %s", keys[k], files[k], strerror(errno));
		if (strict && p1->key && access(p1->key, R_OK) == 0) {
			struct stat st;
			if (stat(p1->key, &st) == 0 && (st.st_mode & 077))
				err_pos(errs, key_pos(p1, "key"), "key %s has mode %04o; private keys must be 0600",
					p1->key, (unsigned)(st.st_mode & 07777));
		}
		for (size_t j = 0; j < p1->n_p2; j++) {
			struct tunnel_phase2 *p2 = &p1->p2[j];
			bool v6 = p2->mode == TUNNEL_MODE_TUNNEL6;
			if (p2->local)
				resolve_selector(&p2->local, value_pos(p2->sec, "local", p2->pos), v6, errs);
			if (p2->remote)
				resolve_selector(&p2->remote, value_pos(p2->sec, "remote", p2->pos), v6, errs);
		}
	}
	return errs->n_errors > before ? -EINVAL : 0;
}

int tunnel_load_secrets(struct tunnel_file *tf, struct tc_errors *errs)
{
	return load_secrets(tf, true, errs);
}

int tunnel_resolve_for_analysis(struct tunnel_file *tf, struct tc_errors *errs)
{
	return load_secrets(tf, false, errs);
}

struct tunnel_file *tunnel_load(const char *path, struct tc_errors *errs)
{
	struct conf_tree *tree = conf_parse_file(path, errs);
	struct tunnel_file *tf;

	if (errs->n_errors) {
		conf_tree_free(tree);
		return NULL;
	}
	tf = tunnel_from_tree(tree, errs);
	if (!tf)
		return NULL;
	if (tunnel_load_secrets(tf, errs) != 0) {
		tunnel_file_free(tf);
		return NULL;
	}
	return tf;
}

/* ---- warnings ---- */

static bool cidr_overlap(const char *x, const char *y)
{
	unsigned char a[16], b[16];
	unsigned la, lb;
	int fa, fb;

	if (!parse_cidr(x, &fa, a, &la) || !parse_cidr(y, &fb, b, &lb) || fa != fb)
		return false;
	unsigned bits = la < lb ? la : lb;
	for (unsigned i = 0; i < bits; i++) {
		unsigned char m = (unsigned char)(0x80u >> (i % 8));
		if ((a[i / 8] & m) != (b[i / 8] & m))
			return false;
	}
	return true;
}

static bool is_default_route(const char *sel)
{
	return strcmp(sel, "0.0.0.0/0") == 0 || strcmp(sel, "::/0") == 0;
}

static bool id_equal(const struct tunnel_id *a, const struct tunnel_id *b)
{
	return a->type == b->type && (a->value == b->value || (a->value && b->value && strcmp(a->value, b->value) == 0));
}

/* first: the earliest phase 1 with the same fixed peer, or SIZE_MAX. */
static void warn_p1(const struct tunnel_file *tf, size_t idx, size_t first, struct tc_errors *errs)
{
	const struct tunnel_phase1 *p1 = &tf->p1[idx];

	for (size_t i = 0; i < p1->n_proposals; i++) {
		const struct tunnel_proposal *pr = &p1->proposals[i];
		const struct proposal_enc *e = proposal_find_enc(pr->encryption);
		const struct proposal_hash *h = pr->hash ? proposal_find_hash(pr->hash) : NULL;
		if (e && e->weak)
			warn_key(errs, pr->sec, "encryption", &pr->pos, "tunnel %u: weak encryption %s; use aes256 or aes256gcm128",
				 p1->ikeid, pr->encryption);
		if (h && h->weak)
			warn_key(errs, pr->sec, "hash", &pr->pos, "tunnel %u: weak hash %s; use sha256 or stronger", p1->ikeid,
				 pr->hash);
		if (proposal_dh_weak(pr->dh_group))
			warn_key(errs, pr->sec, "dh_group", &pr->pos, "tunnel %u: weak DH group %u; use 14, 19, 20 or 31",
				 p1->ikeid, pr->dh_group);
	}
	if (p1->aggressive && p1->auth == TUNNEL_AUTH_PSK)
		warn_key(errs, p1->sec, "mode", &p1->pos,
			 "tunnel %u: aggressive mode with a PSK exposes a crackable hash of the key; use main mode", p1->ikeid);
	if (p1->psk && strlen(p1->psk) < TUNNEL_MIN_PSK)
		warn_key(errs, p1->sec, "psk", &p1->pos, "tunnel %u: the PSK is shorter than %d characters", p1->ikeid,
			 TUNNEL_MIN_PSK);
	if (p1->close_action != TUNNEL_ACTION_DEFAULT)
		warn_key(errs, p1->sec, "close_action", &p1->pos,
			 "tunnel %u: close_action is set; set it on one side only, or both sides re-initiate at once", p1->ikeid);
	if (first != SIZE_MAX) {
		/* one warning per tunnel, naming the first: N tunnels to one peer are N-1 lines */
		const struct tunnel_phase1 *o = &tf->p1[first];
		if (id_equal(&o->local_id, &p1->local_id) && id_equal(&o->remote_id, &p1->remote_id))
			warn_key(errs, p1->sec, "remote_gateway", &p1->pos,
				 "tunnel %u has the same peer %s and the same IDs as tunnel %u; charon cannot "
				 "tell them apart and may pick the wrong one", p1->ikeid, p1->remote_gateway, o->ikeid);
		else
			warn_key(errs, p1->sec, "remote_gateway", &p1->pos,
				 "tunnel %u has the same peer %s as tunnel %u; charon picks the IKE proposals "
				 "of the first before it sees the IDs, so keep their phase 1 proposals the same",
				 p1->ikeid, p1->remote_gateway, o->ikeid);
	}
	for (size_t j = 0; j < p1->n_p2; j++) {
		const struct tunnel_phase2 *p2 = &p1->p2[j];
		for (size_t k = 0; k < p2->encryption.n; k++) {
			const struct proposal_enc *e = proposal_find_enc(p2->encryption.v[k]);
			if (e && e->weak)
				warn_key(errs, p2->sec, "encryption", &p2->pos, "phase 2 %u: weak encryption %s", p2->reqid,
					 p2->encryption.v[k]);
		}
		for (size_t k = 0; k < p2->hash.n; k++) {
			const struct proposal_hash *h = proposal_find_hash(p2->hash.v[k]);
			if (h && h->weak)
				warn_key(errs, p2->sec, "hash", &p2->pos, "phase 2 %u: weak hash %s", p2->reqid, p2->hash.v[k]);
		}
		if (p2->pfs_group && proposal_dh_weak(p2->pfs_group))
			warn_key(errs, p2->sec, "pfs_group", &p2->pos, "phase 2 %u: weak PFS group %u", p2->reqid,
				 p2->pfs_group);
		/* a bypass takes traffic inside its network out of the tunnel: a mistake unless the
		 * phase 2 is a full tunnel (remote = default route), which is what bypass is for */
		for (size_t k = 0; p2->local && p2->remote && k < tf->global.bypass_networks.n; k++)
			if (cidr_overlap(p2->local, tf->global.bypass_networks.v[k]) &&
			    cidr_overlap(p2->remote, tf->global.bypass_networks.v[k]) && !is_default_route(p2->remote))
				warn_key(errs, p2->sec, later_key(p2->sec, "local", "remote"), &p2->pos,
					 "phase 2 %u: %s to %s overlaps bypass network %s, whose traffic never enters a tunnel",
					 p2->reqid, p2->local, p2->remote, tf->global.bypass_networks.v[k]);
		if (p2->mode == TUNNEL_MODE_VTI && p1->start_action == TUNNEL_ACTION_TRAP)
			warn_key(errs, p2->sec, "mode", &p2->pos,
				 "phase 2 %u: VTI has no policies to trap; start_action trap is replaced by start", p2->reqid);
		if (p2->ping_host && p2->remote && !cidr_overlap(p2->ping_host, p2->remote))
			warn_key(errs, p2->sec, "ping_host", &p2->pos,
				 "phase 2 %u: ping_host %s is outside the remote network %s, so pings do not use the tunnel",
				 p2->reqid, p2->ping_host, p2->remote);
	}
}

static int peer_cmp(const void *a, const void *b, void *arg)
{
	const struct tunnel_file *tf = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(tf->p1[x].remote_gateway, tf->p1[y].remote_gateway);

	return c ? c : (x > y) - (x < y);
}

void tunnel_warnings(const struct tunnel_file *tf, struct tc_errors *errs)
{
	size_t *order = xcalloc(tf->n_p1 ? tf->n_p1 : 1, sizeof(size_t));
	size_t *first = xcalloc(tf->n_p1 ? tf->n_p1 : 1, sizeof(size_t));
	size_t n = 0;

	/* phase 1 entries with one fixed peer, grouped by sorting: n log n for 10,000 tunnels */
	for (size_t i = 0; i < tf->n_p1; i++) {
		first[i] = SIZE_MAX;
		if (tf->p1[i].remote_gateway && !tunnel_gateway_is_any(tf->p1[i].remote_gateway))
			order[n++] = i;
	}
	qsort_r(order, n, sizeof(*order), peer_cmp, (void *)tf);
	for (size_t k = 1, head = 0; k < n; k++) {
		if (strcmp(tf->p1[order[k]].remote_gateway, tf->p1[order[head]].remote_gateway) != 0)
			head = k;
		else
			first[order[k]] = order[head];
	}
	for (size_t i = 0; i < tf->n_p1; i++)
		warn_p1(tf, i, first[i], errs);
	free(order);
	free(first);
}

/* ---- lookups and freeing ---- */

bool tunnel_gateway_is_any(const char *gw)
{
	struct in6_addr a6;
	static const struct in6_addr zero6;

	if (!gw)
		return false;
	if (strcmp(gw, "0.0.0.0") == 0)
		return true;
	return inet_pton(AF_INET6, gw, &a6) == 1 && memcmp(&a6, &zero6, sizeof(a6)) == 0;
}

struct tunnel_phase1 *tunnel_find_p1(const struct tunnel_file *tf, unsigned ikeid)
{
	struct tunnel_phase1 key = { .ikeid = ikeid };

	if (!tf->n_p1)
		return NULL;
	return bsearch(&key, tf->p1, tf->n_p1, sizeof(*tf->p1), cmp_p1);
}

struct tunnel_phase2 *tunnel_find_p2(const struct tunnel_file *tf, unsigned reqid, struct tunnel_phase1 **p1)
{
	for (size_t i = 0; i < tf->n_p1; i++) {
		for (size_t j = 0; j < tf->p1[i].n_p2; j++) {
			if (tf->p1[i].p2[j].reqid == reqid) {
				if (p1)
					*p1 = &tf->p1[i];
				return &tf->p1[i].p2[j];
			}
		}
	}
	return NULL;
}

static void p2_free(struct tunnel_phase2 *p2)
{
	free(p2->description);
	free(p2->local);
	free(p2->remote);
	strv_free(&p2->encryption);
	strv_free(&p2->hash);
	free(p2->ping_host);
}

static void p1_free(struct tunnel_phase1 *p1)
{
	free(p1->description);
	free(p1->local_address);
	free(p1->interface);
	free(p1->remote_gateway);
	free(p1->local_id.value);
	free(p1->remote_id.value);
	secret_free(p1->psk);
	free(p1->psk_file);
	free(p1->cert);
	free(p1->key);
	free(p1->ca);
	for (size_t i = 0; i < p1->n_proposals; i++) {
		free(p1->proposals[i].encryption);
		free(p1->proposals[i].hash);
		free(p1->proposals[i].prf);
	}
	free(p1->proposals);
	for (size_t i = 0; i < p1->n_p2; i++)
		p2_free(&p1->p2[i]);
	free(p1->p2);
}

void tunnel_file_free(struct tunnel_file *tf)
{
	if (!tf)
		return;
	for (size_t i = 0; i < tf->n_p1; i++)
		p1_free(&tf->p1[i]);
	free(tf->p1);
	strv_free(&tf->global.bypass_networks);
	free(tf->path);
	conf_tree_free(tf->tree);
	free(tf);
}
