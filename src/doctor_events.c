/* doctor_events.c - the message catalogue and its matcher.
 *
 * Every row is one charon message (the wording of strongSwan 5.9 and 6.x, taken from charon's
 * source: docs/doctor-messages.md lists the rows with their source file) with '*' for its
 * variable parts. A match captures those parts, so the rules read the fields they need (an
 * SA's name and id, addresses, message IDs, byte counts) without searching the message again.
 * Rows are indexed by their literal prefix (a sorted table: the prefixes a message starts
 * with are found by one binary search) and tried in the table's order (a refinement comes
 * before the row it refines); a row that starts with '*' is found by its literal tail (the
 * generator leaves out rows that start and end with '*'; test_doctor_events fails on any row
 * no message can reach). */
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
	[DOCTOR_PFS_MISMATCH] = "PFS group mismatch",
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
#define ROW(pat, ev, cls, keep, src, why, ver) { pat, ev, cls, keep, src, why, ver }

#include "doctor_catalogue.inc"

_Static_assert(ARRAY_SIZE(catalogue) < UINT16_MAX, "the index uses 16-bit row numbers");

struct doctor_events {
	/* The literal prefixes of the rows (before their first '*'), sorted, each with the rows
	 * that have it (in table order) and its parent: the longest other prefix it starts with.
	 * The prefixes a message starts with are the found entry's chain of parents. */
	uint16_t n_pfx;
	uint16_t pfx_start[257];	/* entries of first byte c: [pfx_start[c], pfx_start[c+1]) */
	/* entries of two or more bytes by their first two: [pfx2_start[k], pfx2_end[k]) */
	uint16_t *pfx2_start, *pfx2_end;
	uint16_t pfx_row[ARRAY_SIZE(catalogue)];	/* a row that has the prefix (its text) */
	int16_t pfx_parent[ARRAY_SIZE(catalogue)];
	uint16_t pfx_first[ARRAY_SIZE(catalogue) + 1];	/* rows: pfx_rows[first[e]..first[e+1]) */
	uint16_t pfx_rows[ARRAY_SIZE(catalogue)];
	/* the prefixes' text side by side, in sorted order: the search stays in a few cache
	 * lines instead of chasing each row's pattern */
	uint32_t pfx_off[ARRAY_SIZE(catalogue)];
	uint16_t pfx_len[ARRAY_SIZE(catalogue)];
	char *pfx_text;
	uint16_t lit_len[ARRAY_SIZE(catalogue)];	/* literal prefix before the first '*' */
	/* the longest literal run after the first '*': a message without it cannot match */
	uint16_t chunk_off[ARRAY_SIZE(catalogue)], chunk_len[ARRAY_SIZE(catalogue)];
	/* '*'-led rows that end in a literal, by their last character: tail_order[tail_start[c]..
	 * tail_start[c+1]); tried for a message that ends in c and has the literal tail */
	uint16_t tail_start[257];
	uint16_t tail_order[ARRAY_SIZE(catalogue)];
	uint16_t tail_len[ARRAY_SIZE(catalogue)];	/* literal after the last '*' */
	uint16_t pat_len[ARRAY_SIZE(catalogue)];
};

const struct doctor_pattern *doctor_events_catalogue(size_t *n)
{
	*n = ARRAY_SIZE(catalogue);
	return catalogue;
}

/* Compare a[0..an) and b[0..bn) as strings (a shorter one first on a tie). */
static int span_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t m = an < bn ? an : bn;

	/* prefixes are short and differ early: a byte loop beats a call to memcmp */
	for (size_t i = 0; i < m; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return (an > bn) - (an < bn);
}

/* qsort context: the catalogue's literal prefix lengths (rows by prefix, then row order). */
static const uint16_t *sort_lit;

static int row_pfx_cmp(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	int c = span_cmp(catalogue[x].pat, sort_lit[x], catalogue[y].pat, sort_lit[y]);
	return c ? c : (x > y) - (x < y);
}

/* The sorted prefix table: equal prefixes share an entry; parents by a chain stack. */
static void pfx_build(struct doctor_events *ix)
{
	uint16_t rows[ARRAY_SIZE(catalogue)], chain[ARRAY_SIZE(catalogue)];
	size_t n = 0, depth = 0;

	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++)
		if (ix->lit_len[i])
			rows[n++] = (uint16_t)i;
	sort_lit = ix->lit_len;
	qsort(rows, n, sizeof(rows[0]), row_pfx_cmp);
	for (size_t k = 0; k < n; k++) {
		uint16_t r = rows[k];
		const char *p = catalogue[r].pat;
		size_t len = ix->lit_len[r];
		if (!ix->n_pfx || span_cmp(catalogue[ix->pfx_row[ix->n_pfx - 1]].pat,
					   ix->lit_len[ix->pfx_row[ix->n_pfx - 1]], p, len) != 0) {
			uint16_t e = ix->n_pfx++;
			ix->pfx_row[e] = r;
			ix->pfx_first[e] = (uint16_t)k;
			while (depth > 0) {
				uint16_t top = ix->pfx_row[chain[depth - 1]];
				if (ix->lit_len[top] < len && memcmp(catalogue[top].pat, p, ix->lit_len[top]) == 0)
					break;
				depth--;
			}
			ix->pfx_parent[e] = depth ? (int16_t)chain[depth - 1] : -1;
			chain[depth++] = e;
		}
		ix->pfx_rows[k] = r;
	}
	ix->pfx_first[ix->n_pfx] = (uint16_t)n;
	size_t total = 0;
	for (size_t e = 0; e < ix->n_pfx; e++)
		total += ix->lit_len[ix->pfx_row[e]];
	ix->pfx_text = xmalloc(total + 1);
	total = 0;
	for (size_t e = 0; e < ix->n_pfx; e++) {
		ix->pfx_off[e] = (uint32_t)total;
		ix->pfx_len[e] = ix->lit_len[ix->pfx_row[e]];
		memcpy(ix->pfx_text + total, catalogue[ix->pfx_row[e]].pat, ix->pfx_len[e]);
		total += ix->pfx_len[e];
	}
	for (int c = 0, e = 0; c <= 256; c++) {
		while (e < ix->n_pfx && (unsigned char)catalogue[ix->pfx_row[e]].pat[0] < c)
			e++;
		ix->pfx_start[c] = (uint16_t)e;
	}
	ix->pfx2_start = xcalloc(65536, sizeof(uint16_t));
	ix->pfx2_end = xcalloc(65536, sizeof(uint16_t));
	for (int e = ix->n_pfx - 1; e >= 0; e--) {
		const unsigned char *p = (const unsigned char *)ix->pfx_text + ix->pfx_off[e];
		if (ix->pfx_len[e] < 2)
			continue;
		unsigned k = p[0] * 256u + p[1];
		if (!ix->pfx2_end[k])
			ix->pfx2_end[k] = (uint16_t)(e + 1);
		ix->pfx2_start[k] = (uint16_t)e;
	}
}

struct doctor_events *doctor_events_new(void)
{
	struct doctor_events *ix = xcalloc(1, sizeof(*ix));
	size_t k = 0;

	_Static_assert(ARRAY_SIZE(catalogue) < INT16_MAX, "prefix parents are 16-bit");
	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++) {
		ix->lit_len[i] = (uint16_t)strcspn(catalogue[i].pat, "*");
		for (const char *p = catalogue[i].pat + ix->lit_len[i]; *p;) {
			size_t run = strcspn(p, "*");
			if (run > ix->chunk_len[i]) {
				ix->chunk_len[i] = (uint16_t)run;
				ix->chunk_off[i] = (uint16_t)(p - catalogue[i].pat);
			}
			p += run + (p[run] == '*');
		}
		ix->pat_len[i] = (uint16_t)strlen(catalogue[i].pat);
		const char *last = strrchr(catalogue[i].pat, '*');
		ix->tail_len[i] = (uint16_t)strlen(last ? last + 1 : catalogue[i].pat);
	}
	/* '*'-led rows with a tail, bucketed by its last byte (a counting sort, table order kept) */
	uint16_t count[257] = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++)
		if (catalogue[i].pat[0] == '*' && ix->tail_len[i] > 0)
			count[(unsigned char)catalogue[i].pat[ix->pat_len[i] - 1] + 1]++;
	for (int c = 0; c < 256; c++)
		count[c + 1] = (uint16_t)(count[c + 1] + count[c]);
	memcpy(ix->tail_start, count, sizeof(count));
	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++)
		if (catalogue[i].pat[0] == '*' && ix->tail_len[i] > 0)
			ix->tail_order[count[(unsigned char)catalogue[i].pat[ix->pat_len[i] - 1]]++] =
				(uint16_t)i;
	k = ix->tail_start[256];
	ix->tail_start[256] = (uint16_t)k;
	pfx_build(ix);
	return ix;
}

void doctor_events_free(struct doctor_events *ix)
{
	if (!ix)
		return;
	free(ix->pfx_text);
	free(ix->pfx2_start);
	free(ix->pfx2_end);
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
	size_t lit = ix->lit_len[i], cl = ix->chunk_len[i];

	if (cl && (lit + cl > n || !memmem(msg + lit, n - lit, p->pat + ix->chunk_off[i], cl)))
		return false;
	if (!glob_capture(p->pat, msg, n, out))
		return false;
	/* the captures a shorter pattern did not set read as empty */
	for (unsigned k = out->n_cap; k < DOCTOR_EV_CAPS; k++)
		out->cap[k] = (struct doctor_span){ NULL, 0 };
	out->ev = p->ev;
	out->row = p;
	out->ike_version = p->ike_version;
	return true;
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
	/* the greatest prefix <= msg; the prefixes msg starts with are it and its parents, as
	 * far as they are not longer than what it shares with msg */
	unsigned char c0 = (unsigned char)msg[0];
	int lo = ix->pfx_start[c0], hi = ix->pfx_start[c0 + 1] - 1, e = -1;
	/* every entry between two whose common prefix with msg is known shares at least the
	 * shorter of the two with it: comparisons start there */
	size_t lo_lcp = 1, hi_lcp = 1;
	if (n >= 2) {
		/* the entries that share msg's first two bytes; else only a one-byte one can fit */
		unsigned k = c0 * 256u + (unsigned char)msg[1];
		if (ix->pfx2_end[k]) {
			lo = ix->pfx2_start[k];
			hi = ix->pfx2_end[k] - 1;
			lo_lcp = hi_lcp = 2;
		} else {
			hi = lo <= hi && ix->pfx_len[lo] == 1 ? lo : lo - 1;
		}
	}
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const char *p = ix->pfx_text + ix->pfx_off[mid];
		size_t len = ix->pfx_len[mid], i = lo_lcp < hi_lcp ? lo_lcp : hi_lcp;
		while (i < len && i < n && p[i] == msg[i])
			i++;
		bool le = i == len || (i < n && (unsigned char)p[i] < (unsigned char)msg[i]);
		if (le) {
			e = mid;
			lo = mid + 1;
			lo_lcp = i;
		} else {
			hi = mid - 1;
			hi_lcp = i;
		}
	}
	/* nothing of two bytes fits: a one-byte prefix still may */
	if (e < 0 && ix->pfx_start[c0] < ix->pfx_start[c0 + 1] && ix->pfx_len[ix->pfx_start[c0]] == 1) {
		e = ix->pfx_start[c0];
		lo_lcp = 1;
	}
	/* lo_lcp is what the found entry shares with msg */
	while (e >= 0 && ix->pfx_len[e] > lo_lcp)
		e = ix->pfx_parent[e];
	/* the candidate rows of every such prefix, tried in table order */
	uint16_t cand[ARRAY_SIZE(catalogue)];
	size_t nc = 0;
	for (; e >= 0; e = ix->pfx_parent[e])
		for (unsigned k = ix->pfx_first[e]; k < ix->pfx_first[e + 1]; k++) {
			size_t j = nc++;
			while (j > 0 && cand[j - 1] > ix->pfx_rows[k]) {
				cand[j] = cand[j - 1];
				j--;
			}
			cand[j] = ix->pfx_rows[k];
		}
	for (size_t k = 0; k < nc; k++)
		if (row_match(ix, cand[k], msg, n, out))
			return out->ev;
	unsigned char c;
	/* '*'-led rows with a literal tail: the message must end with that tail */
	c = (unsigned char)msg[n - 1];
	for (unsigned k = ix->tail_start[c]; k < ix->tail_start[c + 1]; k++) {
		unsigned i = ix->tail_order[k];
		size_t t = ix->tail_len[i], plen = ix->pat_len[i];
		if (t <= n && memcmp(msg + n - t, catalogue[i].pat + plen - t, t) == 0 &&
		    row_match(ix, i, msg, n, out))
			return out->ev;
	}
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
	/* a message behind a vendor's function-name prefix is the same message */
	if ((skip = vendor_prefix(msg, n)))
		return classify_at(ix, msg + skip, n - skip, out);
	return EV_NONE;
}

/* A table cell: '|' and '`' escaped. */
static void md_cell(struct buf *b, const char *s, bool code)
{
	if (code)
		buf_adds(b, "`` ");
	for (; *s; s++) {
		if (*s == '|')
			buf_adds(b, "\\|");
		else
			buf_addc(b, *s);
	}
	if (code)
		buf_adds(b, " ``");
}

void doctor_events_markdown(struct buf *b)
{
	buf_adds(b, "| message (charon's wording, `*` = a variable part) | class | what it means | "
		    "logged in |\n|---|---|---|---|\n");
	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++) {
		const struct doctor_pattern *p = &catalogue[i];
		buf_adds(b, "| ");
		md_cell(b, p->pat, true);
		buf_adds(b, " | ");
		buf_adds(b, p->cls == DOCTOR_NO_CLASS ? "-" : doctor_class_names[p->cls]);
		buf_adds(b, " | ");
		md_cell(b, p->why, false);
		buf_adds(b, " | ");
		md_cell(b, p->src, false);
		buf_adds(b, " |\n");
	}
}

unsigned long long doctor_events_num(const struct doctor_event *ev, unsigned k)
{
	unsigned long long v = 0;

	if (k >= ev->n_cap)
		return 0;
	for (size_t i = 0; i < ev->cap[k].n && ev->cap[k].p[i] >= '0' && ev->cap[k].p[i] <= '9'; i++)
		v = v * 10 + (unsigned long long)(ev->cap[k].p[i] - '0');
	return v;
}
