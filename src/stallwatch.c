/* stallwatch.c - a child SA that sends and receives nothing back, from its counters; the
 * kernel's XFRM error counters that grew meanwhile. Pure. */
#include "stallwatch.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define XFRM_NAME_MAX 48	/* counter names are ~25 characters */
#define XFRM_IN_PREFIX "XfrmIn"

const char *const stallwatch_verdict_names[] = {
	[STALLWATCH_OK] = "ok",
	[STALLWATCH_FLOWING] = "flowing",
	[STALLWATCH_SUSPECT] = "suspect",
	[STALLWATCH_STALLED] = "stalled",
	[STALLWATCH_HELD] = "held",
};

static void baseline(struct stallwatch *w, uint64_t sa, uint64_t in, uint64_t out, int64_t now)
{
	w->sa = sa;
	w->in = in;
	w->out = out;
	w->at = now;
	w->since = now;
	w->flat = 0;
	w->sent = 0;
}

enum stallwatch_verdict stallwatch_sample(struct stallwatch *w, uint64_t sa, uint64_t in, uint64_t out, int64_t now,
					  int64_t min_gap_ms, int64_t restart_gap_ms)
{
	/* another SA, or counters that went back: nothing to compare with */
	if (!w->at || sa != w->sa || in < w->in || out < w->out) {
		baseline(w, sa, in, out, now);
		return STALLWATCH_OK;
	}
	if (now - w->at < min_gap_ms)
		return w->flat ? STALLWATCH_SUSPECT : STALLWATCH_OK;	/* too soon: keep the baseline */
	uint64_t din = in - w->in, dout = out - w->out;
	w->in = in;
	w->out = out;
	w->at = now;
	if (din > 0) {
		w->flat = 0;
		w->sent = 0;
		w->since = now;
		return STALLWATCH_FLOWING;
	}
	if (dout == 0)
		return w->flat ? STALLWATCH_SUSPECT : STALLWATCH_OK;	/* idle: tells nothing */
	w->flat++;
	w->sent += dout;
	if (w->flat < STALLWATCH_SAMPLES)
		return STALLWATCH_SUSPECT;
	if (w->restarted && now - w->restarted < restart_gap_ms)
		return STALLWATCH_HELD;
	return STALLWATCH_STALLED;
}

void stallwatch_restarted(struct stallwatch *w, int64_t now)
{
	w->restarted = now;
	stallwatch_reset(w);
}

void stallwatch_reset(struct stallwatch *w)
{
	int64_t restarted = w->restarted;

	memset(w, 0, sizeof(*w));
	w->restarted = restarted;
}

/* The next "Name value" line of text at *pos: false at the end. A line that does not parse
 * gives an empty name. */
static bool xfrm_line(const char *text, size_t len, size_t *pos, char name[XFRM_NAME_MAX], uint64_t *value)
{
	size_t p = *pos, n = 0;
	bool digits = false;

	if (p >= len)
		return false;
	name[0] = '\0';
	*value = 0;
	while (p < len && text[p] != '\n' && text[p] != ' ' && text[p] != '\t') {
		char c = text[p++];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!ok || n + 1 >= XFRM_NAME_MAX)
			n = XFRM_NAME_MAX;	/* not a counter name */
		else
			name[n++] = c;
	}
	while (p < len && (text[p] == ' ' || text[p] == '\t'))
		p++;
	while (p < len && text[p] >= '0' && text[p] <= '9') {
		uint64_t d = (uint64_t)(text[p++] - '0');
		if (*value > (UINT64_MAX - d) / 10)
			n = XFRM_NAME_MAX;	/* overflows: not a counter */
		else
			*value = *value * 10 + d;
		digits = true;
	}
	if (p < len && text[p] != '\n')
		n = XFRM_NAME_MAX;	/* trailing text */
	while (p < len && text[p] != '\n')
		p++;
	*pos = p + 1;
	if (n < XFRM_NAME_MAX && digits)
		name[n] = '\0';
	else
		name[0] = '\0';
	return true;
}

/* The value of counter name in text, or false when it is not there. */
static bool xfrm_find(const char *text, size_t len, const char *name, uint64_t *value)
{
	char n[XFRM_NAME_MAX];
	size_t pos = 0;

	while (xfrm_line(text, len, &pos, n, value))
		if (n[0] && strcmp(n, name) == 0)
			return true;
	return false;
}

size_t stallwatch_xfrm_grown(const char *prev, size_t prev_len, const char *cur, size_t cur_len, char *out,
			     size_t size)
{
	char name[XFRM_NAME_MAX];
	size_t pos = 0, start = 0, grown = 0, used = 0;
	uint64_t now, before;

	out[0] = '\0';
	for (; xfrm_line(cur, cur_len, &pos, name, &now); start = pos) {
		if (strncmp(name, XFRM_IN_PREFIX, strlen(XFRM_IN_PREFIX)) != 0)
			continue;
		/* a name twice: its first line counts, as in prev */
		if (xfrm_find(cur, start, name, &before) || !xfrm_find(prev, prev_len, name, &before) || now <= before)
			continue;
		grown++;
		if (used < size) {
			int w = snprintf(out + used, size - used, "%s%s +%llu", used ? ", " : "", name,
					 (unsigned long long)(now - before));
			used = w < 0 ? size : used + (size_t)w;
		}
	}
	return grown;
}
