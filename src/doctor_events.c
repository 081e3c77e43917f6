/* doctor_events.c - the message catalogue and its matcher.
 *
 * Every row is one charon message (the wording of strongSwan 5.9 and 6.x, taken from charon's
 * source: docs/doctor-messages.md lists the rows with their source file) with '*' for its
 * variable parts. A match captures those parts, so the rules read the fields they need (an
 * SA's name and id, addresses, message IDs, byte counts) without searching the message again.
 * Rows are indexed by their first character and tried in the table's order (a refinement
 * comes before the row it refines); a row that starts with '*' (the message starts with an
 * address) is tried only for messages that could start with one, when no other row matched. */
#include <stdlib.h>
#include <string.h>

#include "doctor_events.h"
#include "util.h"

const char *const doctor_class_names[DOCTOR_CLASS_COUNT] = {
	[DOCTOR_CONFIG_ERROR] = "config_error",
	[DOCTOR_KERNEL_FAILURE] = "kernel_failure",
	[DOCTOR_UNSUPPORTED_ALGORITHM] = "unsupported_algorithm",
	[DOCTOR_VERSION_MISMATCH] = "version_mismatch",
	[DOCTOR_NO_IKE_CONFIG] = "no_ike_config",
	[DOCTOR_IKE_PROPOSAL_MISMATCH] = "ike_proposal_mismatch",
	[DOCTOR_DH_GROUP_MISMATCH] = "dh_group_mismatch",
	[DOCTOR_CERT_PROBLEM] = "cert_problem",
	[DOCTOR_PSK_MISMATCH] = "psk_mismatch",
	[DOCTOR_ID_MISMATCH] = "id_mismatch",
	[DOCTOR_AUTH_FAILED] = "auth_failed",
	[DOCTOR_CHILD_PROPOSAL_MISMATCH] = "child_proposal_mismatch",
	[DOCTOR_TS_MISMATCH] = "ts_mismatch",
	[DOCTOR_PFS_MISMATCH] = "pfs_mismatch",
	[DOCTOR_PEER_UNREACHABLE] = "peer_unreachable",
	[DOCTOR_NAT_T_BLOCKED] = "nat_t_blocked",
	[DOCTOR_HALF_OPEN] = "half_open",
	[DOCTOR_GAVE_UP] = "gave_up",
	[DOCTOR_DPD_TIMEOUT] = "dpd_timeout",
	[DOCTOR_REKEY_FAILURE] = "rekey_failure",
	[DOCTOR_TS_NARROWED] = "ts_narrowed",
	[DOCTOR_UNKNOWN] = "unknown",
	[DOCTOR_HEALTHY] = "healthy",
};

const char *const doctor_class_words[DOCTOR_CLASS_COUNT] = {
	[DOCTOR_CONFIG_ERROR] = "configuration not loaded",
	[DOCTOR_KERNEL_FAILURE] = "kernel refused the SA or policy",
	[DOCTOR_UNSUPPORTED_ALGORITHM] = "algorithm not available",
	[DOCTOR_VERSION_MISMATCH] = "IKE version mismatch",
	[DOCTOR_NO_IKE_CONFIG] = "no connection for this peer",
	[DOCTOR_IKE_PROPOSAL_MISMATCH] = "IKE proposal mismatch",
	[DOCTOR_DH_GROUP_MISMATCH] = "DH group mismatch",
	[DOCTOR_CERT_PROBLEM] = "certificate problem",
	[DOCTOR_PSK_MISMATCH] = "pre-shared key mismatch",
	[DOCTOR_ID_MISMATCH] = "identity mismatch",
	[DOCTOR_AUTH_FAILED] = "authentication failed",
	[DOCTOR_CHILD_PROPOSAL_MISMATCH] = "phase 2 proposal mismatch",
	[DOCTOR_TS_MISMATCH] = "traffic selector mismatch",
	[DOCTOR_PFS_MISMATCH] = "PFS mismatch (fails at rekey)",
	[DOCTOR_PEER_UNREACHABLE] = "peer unreachable",
	[DOCTOR_NAT_T_BLOCKED] = "UDP 4500 blocked",
	[DOCTOR_HALF_OPEN] = "half-open: IKE_AUTH never arrived",
	[DOCTOR_GAVE_UP] = "gave up, nothing retries",
	[DOCTOR_DPD_TIMEOUT] = "dead peer (DPD timeout)",
	[DOCTOR_REKEY_FAILURE] = "rekey failure",
	[DOCTOR_TS_NARROWED] = "traffic selectors narrowed",
	[DOCTOR_UNKNOWN] = "failure, cause unknown",
	[DOCTOR_HEALTHY] = "healthy",
};

#define NC DOCTOR_NO_CLASS
#define ROW(pat, ev, cls, keep, src, why) { pat, ev, cls, keep, src, why }

#include "doctor_catalogue.inc"

_Static_assert(ARRAY_SIZE(catalogue) < UINT16_MAX, "the index uses 16-bit row numbers");

/* Wording only one IKE version's code logs: IKEv1's informational.c says "error notify",
 * IKEv2's tasks "notify error"; the exchange names are the version's own. */
static const struct {
	const char *word;
	int version;
} version_words[] = {
	{ "error notify", 1 }, { "INFORMATIONAL_V1", 1 }, { "ID_PROT", 1 }, { "AGGRESSIVE", 1 },
	{ "QUICK_MODE", 1 }, { "Main Mode", 1 }, { "Aggressive Mode", 1 }, { "IDir", 1 },
	{ "XAuth", 1 }, { "no matching proposal found, sending", 1 },
	{ "notify error", 2 }, { "IKE_SA_INIT", 2 }, { "IKE_AUTH", 2 }, { "CREATE_CHILD_SA", 2 },
};

struct doctor_events {
	int8_t version[ARRAY_SIZE(catalogue)];	/* the IKE version a row's wording belongs to */
	uint16_t start[257];	/* rows of first char c: order[start[c]..start[c+1]) */
	uint16_t order[ARRAY_SIZE(catalogue)];
	uint16_t lit_len[ARRAY_SIZE(catalogue)];	/* literal prefix before the first '*' */
	uint64_t head[ARRAY_SIZE(catalogue)];	/* its first (up to) 8 bytes: a quick reject */
	uint64_t head_mask[ARRAY_SIZE(catalogue)];
	uint16_t n_star;			/* '*'-led rows: star_order[0..n_star) */
	uint16_t star_order[ARRAY_SIZE(catalogue)];
	/* '*'-led rows that end in a literal, by their last character: tail_order[tail_start[c]..
	 * tail_start[c+1]); tried for a message that ends in c and has the literal tail */
	uint16_t tail_start[257];
	uint16_t tail_order[ARRAY_SIZE(catalogue)];
	uint16_t tail_len[ARRAY_SIZE(catalogue)];	/* literal after the last '*' */
};

const struct doctor_pattern *doctor_events_catalogue(size_t *n)
{
	*n = ARRAY_SIZE(catalogue);
	return catalogue;
}

struct doctor_events *doctor_events_new(void)
{
	struct doctor_events *ix = xcalloc(1, sizeof(*ix));
	size_t k = 0;

	for (int c = 0; c < 256; c++) {
		ix->start[c] = (uint16_t)k;
		for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++)
			if ((unsigned char)catalogue[i].pat[0] == c && c != '*')
				ix->order[k++] = (uint16_t)i;
	}
	ix->start[256] = (uint16_t)k;
	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++) {
		ix->lit_len[i] = (uint16_t)strcspn(catalogue[i].pat, "*");
		size_t h = ix->lit_len[i] < 8 ? ix->lit_len[i] : 8;
		memcpy(&ix->head[i], catalogue[i].pat, h);
		memset(&ix->head_mask[i], 0xff, h);
		if (catalogue[i].pat[0] == '*')
			ix->star_order[ix->n_star++] = (uint16_t)i;
		const char *last = strrchr(catalogue[i].pat, '*');
		ix->tail_len[i] = (uint16_t)strlen(last ? last + 1 : catalogue[i].pat);
		for (size_t w = 0; w < ARRAY_SIZE(version_words); w++)
			if (strstr(catalogue[i].pat, version_words[w].word))
				ix->version[i] = (int8_t)version_words[w].version;
	}
	k = 0;
	for (int c = 0; c < 256; c++) {
		ix->tail_start[c] = (uint16_t)k;
		for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++) {
			size_t n = strlen(catalogue[i].pat);
			if (catalogue[i].pat[0] == '*' && ix->tail_len[i] > 0 &&
			    (unsigned char)catalogue[i].pat[n - 1] == c)
				ix->tail_order[k++] = (uint16_t)i;
		}
	}
	ix->tail_start[256] = (uint16_t)k;
	return ix;
}

void doctor_events_free(struct doctor_events *ix)
{
	free(ix);
}

/* Match pat against s[0..n): '*' matches any run (the shortest that lets the rest match),
 * a '*' at the end of pat takes the rest of s; text after the pattern is ignored. The runs
 * are captured into out->cap: a run's length grows each time the match backtracks into it,
 * and the runs after it are captured again. */
static bool glob_capture(const char *pat, const char *s, size_t n, struct doctor_event *out)
{
	const char *star = NULL;
	size_t i = 0, mark = 0;
	unsigned k = 0, star_k = 0;

	while (*pat) {
		if (*pat == '*') {
			pat++;
			star_k = k++;
			if (star_k < DOCTOR_EV_CAPS)
				out->cap[star_k] = (struct doctor_span){ s + i, 0 };
			if (!*pat) {
				if (star_k < DOCTOR_EV_CAPS)
					out->cap[star_k].n = n - i;
				break;
			}
			star = pat;
			mark = i;
			continue;
		}
		if (i < n && s[i] == *pat) {
			i++;
			pat++;
			continue;
		}
		if (!star || ++mark > n)
			return false;
		/* the last run grows by one; the runs after it are matched again */
		pat = star;
		i = mark;
		k = star_k + 1;
		if (star_k < DOCTOR_EV_CAPS)
			out->cap[star_k].n = (size_t)(s + mark - out->cap[star_k].p);
		continue;
	}
	out->n_cap = k < DOCTOR_EV_CAPS ? k : DOCTOR_EV_CAPS;
	return true;
}

/* Try row i on msg; fill out on a match. */
static bool row_match(const struct doctor_events *ix, size_t i, const char *msg, size_t n,
		      struct doctor_event *out)
{
	const struct doctor_pattern *p = &catalogue[i];

	memset(out->cap, 0, sizeof(out->cap));
	out->n_cap = 0;
	if (!glob_capture(p->pat, msg, n, out))
		return false;
	out->ev = p->ev;
	out->row = p;
	out->ike_version = ix->version[i];
	return true;
}

/* A message may start with an address, a redacted one included ("[server-ip]", "x.x.x.x",
 * "<redacted>", "%any"): only those are tried against the '*'-led rows. */
static bool address_start(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '%' ||
	       c == '[' || c == '<' || c == 'x' || c == 'X';
}

static enum ev classify_at(const struct doctor_events *ix, const char *msg, size_t n,
			  struct doctor_event *out)
{
	out->ev = EV_NONE;
	out->row = NULL;
	out->n_cap = 0;
	out->ike_version = 0;
	if (n == 0)
		return EV_NONE;
	unsigned char c = (unsigned char)msg[0];
	uint64_t m8 = 0;
	memcpy(&m8, msg, n < 8 ? n : 8);
	for (unsigned k = ix->start[c]; k < ix->start[c + 1]; k++) {
		unsigned i = ix->order[k];
		size_t lit = ix->lit_len[i];
		if ((m8 & ix->head_mask[i]) != ix->head[i] || lit > n ||
		    (lit > 8 && memcmp(catalogue[i].pat + 8, msg + 8, lit - 8) != 0))
			continue;
		if (row_match(ix, i, msg, n, out))
			return out->ev;
	}
	/* '*'-led rows with a literal tail: the message must end with that tail */
	c = (unsigned char)msg[n - 1];
	for (unsigned k = ix->tail_start[c]; k < ix->tail_start[c + 1]; k++) {
		unsigned i = ix->tail_order[k];
		size_t t = ix->tail_len[i], plen = strlen(catalogue[i].pat);
		if (t <= n && memcmp(msg + n - t, catalogue[i].pat + plen - t, t) == 0 &&
		    row_match(ix, i, msg, n, out))
			return out->ev;
	}
	if (!address_start(msg[0]))
		return EV_NONE;
	for (unsigned k = 0; k < ix->n_star; k++)
		if (row_match(ix, ix->star_order[k], msg, n, out))
			return out->ev;
	out->ev = EV_NONE;
	out->row = NULL;
	return EV_NONE;
}

/* Vendor builds prefix messages with the function and line: "[select_proposal()  372] ".
 * Returns the length of such a prefix, or 0. */
static size_t vendor_prefix(const char *msg, size_t n)
{
	const char *close = n > 1 && msg[0] == '[' ? memchr(msg, ']', n < 80 ? n : 80) : NULL;

	if (!close || close - msg < 4 || !memmem(msg, (size_t)(close - msg), "()", 2))
		return 0;
	size_t k = (size_t)(close - msg) + 1;
	return k < n && msg[k] == ' ' ? k + 1 : 0;
}

enum ev doctor_events_classify(const struct doctor_events *ix, const char *msg, size_t n,
			       struct doctor_event *out)
{
	size_t skip;

	if (classify_at(ix, msg, n, out) != EV_NONE || n == 0)
		return out->ev;
	/* a message whose leading blanks were lost or added on its way, or behind a vendor's
	 * function-name prefix, is the same message */
	if (msg[0] == ' ' || msg[0] == '\t') {
		for (skip = 0; skip < n && (msg[skip] == ' ' || msg[skip] == '\t'); skip++)
			;
		return classify_at(ix, msg + skip, n - skip, out);
	}
	if ((skip = vendor_prefix(msg, n)))
		return classify_at(ix, msg + skip, n - skip, out);
	return EV_NONE;
}

unsigned long long doctor_event_num(const struct doctor_event *ev, unsigned k)
{
	unsigned long long v = 0;

	if (k >= ev->n_cap)
		return 0;
	for (size_t i = 0; i < ev->cap[k].n && ev->cap[k].p[i] >= '0' && ev->cap[k].p[i] <= '9'; i++)
		v = v * 10 + (unsigned long long)(ev->cap[k].p[i] - '0');
	return v;
}
