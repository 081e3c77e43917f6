/* doctor_props.c - charon proposal lists compared transform by transform (see doctor_props.h). */
#include <string.h>

#include "doctor_props.h"
#include "proposal.h"

const char *const doctor_xf_names[DOCTOR_XF_COUNT] = {
	[DOCTOR_XF_ENC] = "encryption",
	[DOCTOR_XF_INTEG] = "integrity",
	[DOCTOR_XF_PRF] = "PRF",
	[DOCTOR_XF_KE] = "DH group",
	[DOCTOR_XF_ESN] = "ESN",
};

/* One proposal: its transforms, pointing into the message. */
struct prop {
	const char *tok[DOCTOR_PROP_XF_MAX];
	size_t len[DOCTOR_PROP_XF_MAX];
	enum doctor_xf type[DOCTOR_PROP_XF_MAX];
	size_t n;
};

static bool starts(const char *s, size_t n, const char *p)
{
	size_t m = strlen(p);
	return n >= m && memcmp(s, p, m) == 0;
}

enum doctor_xf doctor_xf_type(const char *t, size_t n)
{
	/* 5.x DH groups, 6.x key exchange methods (additional ones prefixed KE1_..KE7_) */
	static const char *const ke[] = { "MODP_", "ECP_", "CURVE_", "NTRU_", "NEWHOPE", "ML_KEM",
					  "KE1_", "KE2_", "KE3_", "KE4_", "KE5_", "KE6_", "KE7_",
					  "X25519", "X448", "FRODO", "KYBER", "BIKE", "HQC" };
	if (starts(t, n, "PRF_"))
		return DOCTOR_XF_PRF;
	for (size_t i = 0; i < ARRAY_SIZE(ke); i++)
		if (starts(t, n, ke[i]))
			return DOCTOR_XF_KE;
	if (starts(t, n, "NO_EXT_SEQ") || starts(t, n, "EXT_SEQ"))
		return DOCTOR_XF_ESN;
	if (starts(t, n, "HMAC_") || memmem(t, n, "XCBC", 4) || memmem(t, n, "CMAC", 4) ||
	    (starts(t, n, "AES_GMAC") && n > 8))
		return DOCTOR_XF_INTEG;
	return DOCTOR_XF_ENC;
}

/* Parse "IKE:A/B/C, IKE:D/E" (after "proposals: ") into props; returns the count. */
static size_t props_parse(const char *msg, struct prop *out, size_t max)
{
	const char *p = strstr(msg, "proposals: ");
	size_t n = 0;

	if (!p)
		return 0;
	p += 11;
	while (*p && n < max) {
		struct prop *pr = &out[n];
		const char *colon = strchr(p, ':'), *comma = strstr(p, ", ");
		const char *pend = comma ? comma : p + strlen(p);
		memset(pr, 0, sizeof(*pr));
		if (colon && colon < pend)
			p = colon + 1;
		while (p < pend && pr->n < DOCTOR_PROP_XF_MAX) {
			const char *slash = memchr(p, '/', (size_t)(pend - p));
			const char *tend = slash ? slash : pend;
			if (tend > p) {
				pr->tok[pr->n] = p;
				pr->len[pr->n] = (size_t)(tend - p);
				pr->type[pr->n] = doctor_xf_type(p, (size_t)(tend - p));
				pr->n++;
			}
			p = slash ? slash + 1 : pend;
		}
		n++;
		if (!comma)
			break;
		p = comma + 2;
	}
	return n;
}

static bool prop_has(const struct prop *pr, enum doctor_xf t, const char *tok, size_t len)
{
	for (size_t i = 0; i < pr->n; i++)
		if (pr->type[i] == t && pr->len[i] == len && memcmp(pr->tok[i], tok, len) == 0)
			return true;
	return false;
}

static bool prop_any(const struct prop *pr, enum doctor_xf t)
{
	for (size_t i = 0; i < pr->n; i++)
		if (pr->type[i] == t)
			return true;
	return false;
}

/* Transform types in which r and c have nothing in common. */
static unsigned prop_diff(const struct prop *r, const struct prop *c, bool ignore_ke)
{
	unsigned mask = 0;

	for (int t = 0; t < DOCTOR_XF_COUNT; t++) {
		enum doctor_xf x = (enum doctor_xf)t;
		bool rr = prop_any(r, x), cc = prop_any(c, x), common = false;
		if (!rr && !cc)
			continue;
		if (x == DOCTOR_XF_KE && ignore_ke && (!rr || !cc))
			continue;
		for (size_t i = 0; i < r->n && !common; i++)
			common = r->type[i] == x && prop_has(c, x, r->tok[i], r->len[i]);
		if (!common)
			mask |= DOCTOR_XF_BIT(x);
	}
	return mask;
}

static void prop_type_str(struct buf *b, const struct prop *pr, enum doctor_xf t, bool child)
{
	bool any = false;

	for (size_t i = 0; i < pr->n; i++) {
		if (pr->type[i] != t)
			continue;
		buf_printf(b, "%s%.*s", any ? "/" : "", (int)pr->len[i], pr->tok[i]);
		any = true;
	}
	if (!any)
		buf_adds(b, t == DOCTOR_XF_KE && child ? "none (no PFS)" : "none");
}

static void prop_str(struct buf *b, const struct prop *pr)
{
	for (size_t i = 0; i < pr->n; i++)
		buf_printf(b, "%s%.*s", i ? "/" : "", (int)pr->len[i], pr->tok[i]);
}

unsigned doctor_props_compare(const char *recv, const char *conf, bool ignore_ke,
			      const char *recv_who, const char *conf_who, struct buf *why)
{
	struct prop r[DOCTOR_PROPS_MAX], c[DOCTOR_PROPS_MAX];
	size_t nr = props_parse(recv, r, DOCTOR_PROPS_MAX), nc = props_parse(conf, c, DOCTOR_PROPS_MAX);
	size_t bi = 0, bj = 0;
	unsigned best = ~0u;

	for (size_t i = 0; i < nr; i++)
		for (size_t j = 0; j < nc; j++) {
			unsigned m = prop_diff(&r[i], &c[j], ignore_ke);
			if (__builtin_popcount(m) < __builtin_popcount(best)) {
				best = m;
				bi = i;
				bj = j;
			}
		}
	if (best == ~0u || best == 0)
		return 0;
	if (why) {
		bool child = !strstr(recv, "IKE:");
		bool first = true;
		buf_printf(why, "%s ", recv_who);
		prop_str(why, &r[bi]);
		buf_printf(why, ", %s ", conf_who);
		prop_str(why, &c[bj]);
		buf_adds(why, "; they differ in");
		for (int t = 0; t < DOCTOR_XF_COUNT; t++) {
			if (!(best & DOCTOR_XF_BIT(t)))
				continue;
			buf_printf(why, "%s %s (", first ? "" : ",", doctor_xf_names[t]);
			prop_type_str(why, &r[bi], (enum doctor_xf)t, child);
			buf_adds(why, " vs ");
			prop_type_str(why, &c[bj], (enum doctor_xf)t, child);
			buf_adds(why, ")");
			first = false;
		}
	}
	return best;
}

/* pfSense DH group number of a charon transform name ("ECP_256" -> 19), 0 if unknown. */
static unsigned dh_group_number(const char *t, size_t n)
{
	char kw[32];
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < sizeof(kw); i++)
		if (t[i] != '_')
			kw[k++] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' : t[i]);
	kw[k] = '\0';
	for (unsigned g = 1; g <= 32; g++) {
		const char *s = proposal_dh_keyword(g);
		if (s && strcmp(s, kw) == 0)
			return g;
	}
	return 0;
}

size_t doctor_props_dh_groups(const char *list, struct buf *out)
{
	struct prop c[DOCTOR_PROPS_MAX];
	size_t nc = props_parse(list, c, DOCTOR_PROPS_MAX), found = 0;

	for (size_t j = 0; j < nc; j++)
		for (size_t i = 0; i < c[j].n; i++) {
			unsigned g;
			if (c[j].type[i] != DOCTOR_XF_KE || !(g = dh_group_number(c[j].tok[i], c[j].len[i])))
				continue;
			buf_printf(out, "%s%u", found ? ", " : "", g);
			found++;
		}
	return found;
}
