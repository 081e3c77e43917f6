/* doctor_props.c - logged and configured proposal lists compared transform by transform
 * (see doctor_props.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

enum doctor_xf doctor_props_xf_type(const char *t, size_t n)
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

/* Parse "IKE:A/B/C, IKE:D/E" (after "proposals: ", or a bare list a user pasted without
 * it) into props; returns the count. */
static size_t props_parse(const char *msg, struct prop *out, size_t max)
{
	const char *p = strstr(msg, "proposals: ");
	size_t n = 0;

	if (p)
		p += 11;
	else if (!strncmp(msg, "ESP:", 4) || !strncmp(msg, "IKE:", 4) || !strncmp(msg, "AH:", 3))
		p = msg;
	else
		return 0;
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
				pr->type[pr->n] = doctor_props_xf_type(p, (size_t)(tend - p));
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

/* ---- proposal lists as configured (swanctl.conf keywords) ------------------------------ */

/* Fixed keywords of strongSwan's proposal syntax; aes and camellia are parsed apart. */
static const struct {
	const char *kw;
	enum doctor_xf xf;
	const char *name;
	unsigned short ks;
	bool aead;
} alg_words[] = {
	{ "null", DOCTOR_XF_ENC, "NULL", 0, false },
	{ "des", DOCTOR_XF_ENC, "DES_CBC", 0, false },
	{ "3des", DOCTOR_XF_ENC, "3DES_CBC", 0, false },
	{ "cast128", DOCTOR_XF_ENC, "CAST_CBC", 128, false },
	{ "blowfish", DOCTOR_XF_ENC, "BLOWFISH_CBC", 128, false },
	{ "blowfish128", DOCTOR_XF_ENC, "BLOWFISH_CBC", 128, false },
	{ "blowfish192", DOCTOR_XF_ENC, "BLOWFISH_CBC", 192, false },
	{ "blowfish256", DOCTOR_XF_ENC, "BLOWFISH_CBC", 256, false },
	{ "chacha20poly1305", DOCTOR_XF_ENC, "CHACHA20_POLY1305", 256, true },
	{ "twofish", DOCTOR_XF_ENC, "TWOFISH_CBC", 128, false },
	{ "twofish128", DOCTOR_XF_ENC, "TWOFISH_CBC", 128, false },
	{ "twofish192", DOCTOR_XF_ENC, "TWOFISH_CBC", 192, false },
	{ "twofish256", DOCTOR_XF_ENC, "TWOFISH_CBC", 256, false },
	{ "serpent", DOCTOR_XF_ENC, "SERPENT_CBC", 128, false },
	{ "serpent128", DOCTOR_XF_ENC, "SERPENT_CBC", 128, false },
	{ "serpent192", DOCTOR_XF_ENC, "SERPENT_CBC", 192, false },
	{ "serpent256", DOCTOR_XF_ENC, "SERPENT_CBC", 256, false },
	{ "md5", DOCTOR_XF_INTEG, "HMAC_MD5_96", 0, false },
	{ "md5_128", DOCTOR_XF_INTEG, "HMAC_MD5_128", 0, false },
	{ "sha", DOCTOR_XF_INTEG, "HMAC_SHA1_96", 0, false },
	{ "sha1", DOCTOR_XF_INTEG, "HMAC_SHA1_96", 0, false },
	{ "sha1_160", DOCTOR_XF_INTEG, "HMAC_SHA1_160", 0, false },
	{ "sha256", DOCTOR_XF_INTEG, "HMAC_SHA2_256_128", 0, false },
	{ "sha2_256", DOCTOR_XF_INTEG, "HMAC_SHA2_256_128", 0, false },
	{ "sha256_96", DOCTOR_XF_INTEG, "HMAC_SHA2_256_96", 0, false },
	{ "sha2_256_96", DOCTOR_XF_INTEG, "HMAC_SHA2_256_96", 0, false },
	{ "sha384", DOCTOR_XF_INTEG, "HMAC_SHA2_384_192", 0, false },
	{ "sha2_384", DOCTOR_XF_INTEG, "HMAC_SHA2_384_192", 0, false },
	{ "sha512", DOCTOR_XF_INTEG, "HMAC_SHA2_512_256", 0, false },
	{ "sha2_512", DOCTOR_XF_INTEG, "HMAC_SHA2_512_256", 0, false },
	{ "aesxcbc", DOCTOR_XF_INTEG, "AES_XCBC_96", 0, false },
	{ "aescmac", DOCTOR_XF_INTEG, "AES_CMAC_96", 0, false },
	{ "camelliaxcbc", DOCTOR_XF_INTEG, "CAMELLIA_XCBC_96", 0, false },
	{ "prfmd5", DOCTOR_XF_PRF, "PRF_HMAC_MD5", 0, false },
	{ "prfsha1", DOCTOR_XF_PRF, "PRF_HMAC_SHA1", 0, false },
	{ "prfsha256", DOCTOR_XF_PRF, "PRF_HMAC_SHA2_256", 0, false },
	{ "prfsha384", DOCTOR_XF_PRF, "PRF_HMAC_SHA2_384", 0, false },
	{ "prfsha512", DOCTOR_XF_PRF, "PRF_HMAC_SHA2_512", 0, false },
	{ "prfaesxcbc", DOCTOR_XF_PRF, "PRF_AES128_XCBC", 0, false },
	{ "prfaescmac", DOCTOR_XF_PRF, "PRF_AES128_CMAC", 0, false },
	{ "prfcamelliaxcbc", DOCTOR_XF_PRF, "PRF_CAMELLIA128_XCBC", 0, false },
	{ "modp768", DOCTOR_XF_KE, "MODP_768", 0, false },
	{ "modp1024", DOCTOR_XF_KE, "MODP_1024", 0, false },
	{ "modp1536", DOCTOR_XF_KE, "MODP_1536", 0, false },
	{ "modp2048", DOCTOR_XF_KE, "MODP_2048", 0, false },
	{ "modp3072", DOCTOR_XF_KE, "MODP_3072", 0, false },
	{ "modp4096", DOCTOR_XF_KE, "MODP_4096", 0, false },
	{ "modp6144", DOCTOR_XF_KE, "MODP_6144", 0, false },
	{ "modp8192", DOCTOR_XF_KE, "MODP_8192", 0, false },
	{ "modp1024s160", DOCTOR_XF_KE, "MODP_1024_160", 0, false },
	{ "modp2048s224", DOCTOR_XF_KE, "MODP_2048_224", 0, false },
	{ "modp2048s256", DOCTOR_XF_KE, "MODP_2048_256", 0, false },
	{ "ecp192", DOCTOR_XF_KE, "ECP_192", 0, false },
	{ "ecp224", DOCTOR_XF_KE, "ECP_224", 0, false },
	{ "ecp256", DOCTOR_XF_KE, "ECP_256", 0, false },
	{ "ecp384", DOCTOR_XF_KE, "ECP_384", 0, false },
	{ "ecp521", DOCTOR_XF_KE, "ECP_521", 0, false },
	{ "ecp224bp", DOCTOR_XF_KE, "ECP_224_BP", 0, false },
	{ "ecp256bp", DOCTOR_XF_KE, "ECP_256_BP", 0, false },
	{ "ecp384bp", DOCTOR_XF_KE, "ECP_384_BP", 0, false },
	{ "ecp512bp", DOCTOR_XF_KE, "ECP_512_BP", 0, false },
	{ "curve25519", DOCTOR_XF_KE, "CURVE_25519", 0, false },
	{ "x25519", DOCTOR_XF_KE, "CURVE_25519", 0, false },
	{ "curve448", DOCTOR_XF_KE, "CURVE_448", 0, false },
	{ "x448", DOCTOR_XF_KE, "CURVE_448", 0, false },
	{ "ntru112", DOCTOR_XF_KE, "NTRU_112", 0, false },
	{ "ntru128", DOCTOR_XF_KE, "NTRU_128", 0, false },
	{ "ntru192", DOCTOR_XF_KE, "NTRU_192", 0, false },
	{ "ntru256", DOCTOR_XF_KE, "NTRU_256", 0, false },
	{ "newhope128", DOCTOR_XF_KE, "NEWHOPE_128", 0, false },
	{ "mlkem512", DOCTOR_XF_KE, "ML_KEM_512", 0, false },
	{ "mlkem768", DOCTOR_XF_KE, "ML_KEM_768", 0, false },
	{ "mlkem1024", DOCTOR_XF_KE, "ML_KEM_1024", 0, false },
	{ "none", DOCTOR_XF_KE, "NONE", 0, false },
	{ "modpnone", DOCTOR_XF_KE, "NONE", 0, false },
	{ "esn", DOCTOR_XF_ESN, "EXT_SEQ", 0, false },
	{ "noesn", DOCTOR_XF_ESN, "NO_EXT_SEQ", 0, false },
};

/* PRF charon derives from an integrity algorithm when an IKE proposal names none. */
static const struct {
	const char *integ, *prf;
} integ_prf[] = {
	{ "HMAC_MD5_96", "PRF_HMAC_MD5" },	{ "HMAC_MD5_128", "PRF_HMAC_MD5" },
	{ "HMAC_SHA1_96", "PRF_HMAC_SHA1" },	{ "HMAC_SHA1_160", "PRF_HMAC_SHA1" },
	{ "HMAC_SHA2_256_128", "PRF_HMAC_SHA2_256" },
	{ "HMAC_SHA2_384_192", "PRF_HMAC_SHA2_384" },
	{ "HMAC_SHA2_512_256", "PRF_HMAC_SHA2_512" },
	{ "AES_XCBC_96", "PRF_AES128_XCBC" },	{ "AES_CMAC_96", "PRF_AES128_CMAC" },
	{ "CAMELLIA_XCBC_96", "PRF_CAMELLIA128_XCBC" },
};

/* Names of the aes/camellia family by mode and ICV length. */
static const struct {
	const char *mode;	/* suffix after the key size */
	const char *aes, *camellia;
	bool aead;
} cipher_modes[] = {
	{ "", "AES_CBC", "CAMELLIA_CBC", false },
	{ "ctr", "AES_CTR", "CAMELLIA_CTR", false },
	{ "gcm8", "AES_GCM_8", NULL, true },	{ "gcm64", "AES_GCM_8", NULL, true },
	{ "gcm12", "AES_GCM_12", NULL, true },	{ "gcm96", "AES_GCM_12", NULL, true },
	{ "gcm16", "AES_GCM_16", NULL, true },	{ "gcm128", "AES_GCM_16", NULL, true },
	{ "ccm8", "AES_CCM_8", "CAMELLIA_CCM_8", true },
	{ "ccm64", "AES_CCM_8", "CAMELLIA_CCM_8", true },
	{ "ccm12", "AES_CCM_12", "CAMELLIA_CCM_12", true },
	{ "ccm96", "AES_CCM_12", "CAMELLIA_CCM_12", true },
	{ "ccm16", "AES_CCM_16", "CAMELLIA_CCM_16", true },
	{ "ccm128", "AES_CCM_16", "CAMELLIA_CCM_16", true },
	{ "gmac", "NULL_AES_GMAC", NULL, false },
};

/* charon's default proposals (strongSwan 5.9, roughly: the algorithms of >= 128 bit
 * strength its default plugins offer), used for `default` or a missing key. */
static const char ike_default[] =
	"aes128-aes192-aes256-sha256-sha384-sha512-ecp256-ecp384-ecp521-curve25519-curve448-"
	"modp3072-modp4096-modp6144-modp8192-modp2048,"
	"aes128gcm16-aes192gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-"
	"ecp256-ecp384-ecp521-curve25519-curve448-modp3072-modp4096-modp6144-modp8192-modp2048";
static const char esp_default[] = "aes128gcm16-aes256gcm16,aes128-aes256-sha256-sha384-sha512";

/* Parse an aes/camellia keyword (aes, aes256, aes128gcm16, camellia192ctr). */
static bool parse_cipher(const char *w, struct doctor_prop_alg *a, enum doctor_xf *xf)
{
	bool aes = strncmp(w, "aes", 3) == 0;
	const char *p = w + (aes ? 3 : 8);
	unsigned short ks = 128;

	if (!aes && strncmp(w, "camellia", 8) != 0)
		return false;
	if (strncmp(p, "128", 3) == 0 || strncmp(p, "192", 3) == 0 || strncmp(p, "256", 3) == 0) {
		ks = (unsigned short)atoi((char[4]){ p[0], p[1], p[2], 0 });
		p += 3;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cipher_modes); i++) {
		const char *name = aes ? cipher_modes[i].aes : cipher_modes[i].camellia;
		if (name && strcmp(p, cipher_modes[i].mode) == 0) {
			a->name = name;
			a->ks = ks;
			a->aead = cipher_modes[i].aead;
			*xf = DOCTOR_XF_ENC;
			return true;
		}
	}
	return false;
}

static bool parse_alg(const char *w, struct doctor_prop_alg *a, enum doctor_xf *xf)
{
	for (size_t i = 0; i < ARRAY_SIZE(alg_words); i++)
		if (strcasecmp(w, alg_words[i].kw) == 0) {
			a->name = alg_words[i].name;
			a->ks = alg_words[i].ks;
			a->aead = alg_words[i].aead;
			*xf = alg_words[i].xf;
			return true;
		}
	return parse_cipher(w, a, xf);
}

static bool alg_eq(const struct doctor_prop_alg *a, const struct doctor_prop_alg *b)
{
	return strcmp(a->name, b->name) == 0 && a->ks == b->ks;
}

static bool alg_is_none(const struct doctor_prop_alg *a)
{
	return strcmp(a->name, "NONE") == 0;
}

static void prop_add(struct doctor_prop *p, enum doctor_xf xf, const struct doctor_prop_alg *a)
{
	for (size_t i = 0; i < p->n[xf]; i++)
		if (alg_eq(&p->alg[xf][i], a))
			return;
	if (p->n[xf] >= DOCTOR_PROP_ALGS_MAX)
		return;
	p->alg[xf] = xrealloc(p->alg[xf], (p->n[xf] + 1) * sizeof(*p->alg[xf]));
	p->alg[xf][p->n[xf]++] = *a;
}

static void prop_remove(struct doctor_prop *p, enum doctor_xf xf)
{
	free(p->alg[xf]);
	p->alg[xf] = NULL;
	p->n[xf] = 0;
}

void doctor_props_free(struct doctor_prop *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int t = 0; t < DOCTOR_XF_COUNT; t++)
			free(v[i].alg[t]);
	free(v);
}

/* Complete a proposal as charon does after parsing: IKE gets a PRF from its integrity
 * algorithm and loses DH NONE; ESP/AH lose PRFs and get NO_EXT_SEQ; AEAD drops integrity. */
static void prop_finish(struct doctor_prop *p, bool ike)
{
	bool any_aead = false;

	for (size_t i = 0; i < p->n[DOCTOR_XF_ENC]; i++)
		any_aead |= p->alg[DOCTOR_XF_ENC][i].aead;
	if (ike) {
		if (p->n[DOCTOR_XF_PRF] == 0)
			for (size_t i = 0; i < p->n[DOCTOR_XF_INTEG]; i++)
				for (size_t k = 0; k < ARRAY_SIZE(integ_prf); k++)
					if (strcmp(p->alg[DOCTOR_XF_INTEG][i].name, integ_prf[k].integ) == 0)
						prop_add(p, DOCTOR_XF_PRF, &(struct doctor_prop_alg){ integ_prf[k].prf, 0, false });
		for (size_t i = 0; i < p->n[DOCTOR_XF_KE]; i++)
			if (alg_is_none(&p->alg[DOCTOR_XF_KE][i])) {
				memmove(&p->alg[DOCTOR_XF_KE][i], &p->alg[DOCTOR_XF_KE][i + 1],
					(p->n[DOCTOR_XF_KE] - i - 1) * sizeof(p->alg[DOCTOR_XF_KE][0]));
				p->n[DOCTOR_XF_KE]--;
				i--;
			}
		prop_remove(p, DOCTOR_XF_ESN);
	} else {
		prop_remove(p, DOCTOR_XF_PRF);
		if (p->n[DOCTOR_XF_ESN] == 0)
			prop_add(p, DOCTOR_XF_ESN, &(struct doctor_prop_alg){ "NO_EXT_SEQ", 0, false });
	}
	if (any_aead)
		prop_remove(p, DOCTOR_XF_INTEG);
}

/* Why charon would refuse a finished proposal, or NULL (its own checks, as it loads it). */
static const char *prop_invalid(const struct doctor_prop *p, bool ike, bool ah)
{
	if (!ah && p->n[DOCTOR_XF_ENC] == 0)
		return "an encryption algorithm is mandatory";
	if (ah && p->n[DOCTOR_XF_INTEG] == 0)
		return "an integrity algorithm is mandatory in AH proposals";
	if (!ike)
		return NULL;
	if (p->n[DOCTOR_XF_PRF] == 0)
		return "a PRF algorithm is mandatory in IKE proposals";
	if (p->n[DOCTOR_XF_KE] == 0)
		return "a DH group is mandatory in IKE proposals";
	if (p->n[DOCTOR_XF_INTEG] == 0 && !p->alg[DOCTOR_XF_ENC][0].aead)
		return "an integrity algorithm is mandatory with classic (non-AEAD) encryption";
	return NULL;
}

/* Parse a comma-separated proposal list ("default" expands to charon's defaults). A token
 * charon would refuse sets *bad (first one only; caller frees). */
size_t doctor_props_parse_conf(const char *list, bool ike, bool ah, struct doctor_prop **out, char **bad)
{
	struct doctor_prop *v = NULL;
	size_t n = 0;
	char *copy = xstrdup(list), *save = NULL;

	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct doctor_prop p = { .n = { 0 } };
		char *wsave = NULL;

		if (strcasecmp(tok, "default") == 0) {
			struct doctor_prop *d = NULL;
			size_t nd = doctor_props_parse_conf(ike ? ike_default : esp_default, ike, false, &d, NULL);
			for (size_t i = 0; i < nd && n < DOCTOR_PROPS_CONF_MAX; i++) {
				v = xrealloc(v, (n + 1) * sizeof(*v));
				v[n++] = d[i];
				memset(&d[i], 0, sizeof(d[i]));
			}
			doctor_props_free(d, nd);
			continue;
		}
		char *whole = xstrdup(tok);
		for (char *w = strtok_r(tok, "-", &wsave); w; w = strtok_r(NULL, "-", &wsave)) {
			struct doctor_prop_alg a;
			enum doctor_xf xf;
			size_t l = strlen(w);
			if (l && w[l - 1] == '!')
				w[l - 1] = '\0';
			/* strongSwan 6 additional key exchanges (ke1_mlkem768): known, not compared */
			if (w[0] == 'k' && w[1] == 'e' && w[2] >= '1' && w[2] <= '7' && w[3] == '_')
				continue;
			if (!parse_alg(w, &a, &xf)) {
				if (bad && !*bad)
					*bad = xasprintf("algorithm '%s' in '%s' is not one charon knows", w, whole);
				continue;
			}
			prop_add(&p, xf, &a);
		}
		prop_finish(&p, ike);
		const char *why = prop_invalid(&p, ike, ah);
		if (why && bad && !*bad)
			*bad = xasprintf("'%s': %s", whole, why);
		free(whole);
		if (n >= DOCTOR_PROPS_CONF_MAX) {
			for (int t = 0; t < DOCTOR_XF_COUNT; t++)
				free(p.alg[t]);
			continue;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = p;
	}
	free(copy);
	*out = v;
	return n;
}

/* Whether proposals a and b have an algorithm in common for every transform type, with
 * charon's rules (KE optional for ESP/AH when NONE is offered; AEAD skips integrity).
 * Types without a common algorithm are flagged in failed[] (may be NULL). */
static bool prop_match(const struct doctor_prop *a, const struct doctor_prop *b, bool ike, bool skip_ke,
		       bool failed[DOCTOR_XF_COUNT])
{
	bool ok = true, skip_integ = false;

	for (int t = 0; t < DOCTOR_XF_COUNT; t++) {
		bool found = false;
		if (t == DOCTOR_XF_INTEG && skip_integ)
			continue;
		if (t == DOCTOR_XF_KE && skip_ke)
			continue;
		if (a->n[t] == 0 || b->n[t] == 0) {
			const struct doctor_prop *has = a->n[t] ? a : b;
			found = a->n[t] == b->n[t];
			if (!found && t == DOCTOR_XF_KE && !ike)
				for (size_t i = 0; i < has->n[t]; i++)
					found |= alg_is_none(&has->alg[t][i]);
		}
		for (size_t i = 0; !found && i < a->n[t]; i++)
			for (size_t k = 0; !found && k < b->n[t]; k++)
				if (alg_eq(&a->alg[t][i], &b->alg[t][k])) {
					found = true;
					if (t == DOCTOR_XF_ENC && a->alg[t][i].aead)
						skip_integ = true;
				}
		if (!found) {
			ok = false;
			if (failed)
				failed[t] = true;
		}
	}
	return ok;
}

bool doctor_props_match(const struct doctor_prop *a, size_t na, const struct doctor_prop *b, size_t nb,
			bool ike, bool skip_ke)
{
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb; k++)
			if (prop_match(&a[i], &b[k], ike, skip_ke, NULL))
				return true;
	return false;
}

/* The transform types that differ between the closest pair of proposals. */
void doctor_props_diff(const struct doctor_prop *a, size_t na, const struct doctor_prop *b, size_t nb,
		       bool ike, bool skip_ke, bool out[DOCTOR_XF_COUNT])
{
	int best = DOCTOR_XF_COUNT + 1;

	memset(out, 0, DOCTOR_XF_COUNT * sizeof(bool));
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb; k++) {
			bool f[DOCTOR_XF_COUNT] = { false };
			int c = 0;
			prop_match(&a[i], &b[k], ike, skip_ke, f);
			for (int t = 0; t < DOCTOR_XF_COUNT; t++)
				c += f[t];
			if (c < best) {
				best = c;
				memcpy(out, f, sizeof(f));
			}
		}
}

/* "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" for each proposal, ", "-joined. */
void doctor_props_print(struct buf *b, const struct doctor_prop *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool first = true;
		if (i)
			buf_adds(b, ", ");
		for (int t = 0; t < DOCTOR_XF_COUNT; t++)
			for (size_t k = 0; k < v[i].n[t]; k++) {
				if (t == DOCTOR_XF_ESN)
					continue;
				buf_printf(b, "%s%s", first ? "" : "/", v[i].alg[t][k].name);
				if (v[i].alg[t][k].ks)
					buf_printf(b, "_%u", v[i].alg[t][k].ks);
				first = false;
			}
	}
	if (n == 0)
		buf_adds(b, "nothing usable");
}

/* " (no common encryption, DH group)" for the flagged transform types. */
void doctor_props_diff_print(struct buf *b, const bool diff[DOCTOR_XF_COUNT])
{
	bool first = true;

	for (int t = 0; t < DOCTOR_XF_COUNT; t++)
		if (diff[t]) {
			buf_printf(b, "%s%s", first ? " (no common " : ", ", doctor_xf_names[t]);
			first = false;
		}
	if (!first)
		buf_adds(b, ")");
}
