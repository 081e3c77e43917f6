/* history.c - the timeline's record format, its damage-tolerant reader and the availability
 * math. Pure: bytes and records in, records and numbers out. */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

#define HISTORY_TIME_DIGITS 15		/* unix milliseconds up to the year 33658 */
#define HISTORY_CRC_DIGITS 8

const char *const history_kind_names[HISTORY_KIND_COUNT] = {
	[HISTORY_UP] = "up",
	[HISTORY_DOWN] = "down",
	[HISTORY_REKEY] = "rekey",
	[HISTORY_INITIATE] = "initiate",
	[HISTORY_RESTART] = "restart",
	[HISTORY_FAILED] = "failed",
	[HISTORY_DEAD] = "dead",
	[HISTORY_STALLED] = "stalled",
	[HISTORY_VERDICT] = "verdict",
	[HISTORY_MANUAL_DOWN] = "manual-down",
	[HISTORY_MANUAL_UP] = "manual-up",
	[HISTORY_START] = "start",
	[HISTORY_STOP] = "stop",
};

const char *const history_state_names[] = {
	[HISTORY_S_UNKNOWN] = "unknown",
	[HISTORY_S_UP] = "up",
	[HISTORY_S_DOWN] = "down",
	[HISTORY_S_MANUAL] = "manual",
};

/* CRC-32 (IEEE, reflected), bit by bit: records are short and rare. */
static uint32_t crc32_of(const char *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= (unsigned char)p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are what jansson refuses too */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool class_ok(const char *s, size_t len)
{
	if (len == 0 || len >= HISTORY_CLASS_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

size_t history_encode(const struct history_rec *r, char out[HISTORY_LINE_MAX])
{
	const char *kind = (unsigned)r->kind < HISTORY_KIND_COUNT ? history_kind_names[r->kind] : "down";
	const char *cls = class_ok(r->cls, strnlen(r->cls, HISTORY_CLASS_MAX)) ? r->cls : "-";
	int head = snprintf(out, HISTORY_LINE_MAX, "%lld\t%s\t%s\t", (long long)(r->time_ms < 0 ? 0 : r->time_ms),
			    kind, cls);
	/* the reason, made safe: no tabs or line ends, valid UTF-8, room left for the CRC */
	size_t len = (size_t)head, room = HISTORY_LINE_MAX - 1 - 1 - HISTORY_CRC_DIGITS - 1;
	const unsigned char *p = (const unsigned char *)r->reason;
	size_t n = strnlen(r->reason, HISTORY_REASON_MAX);

	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			if (len + 1 > room)
				break;
			out[len++] = '?';
			i++;
			continue;
		}
		if (len + l > room)
			break;
		for (size_t k = 0; k < l; k++)
			out[len++] = (l == 1 && (p[i] < 0x20 || p[i] == 0x7f)) ? ' ' : (char)p[i + k];
		i += l;
	}
	uint32_t crc = crc32_of(out, len);
	len += (size_t)snprintf(out + len, HISTORY_LINE_MAX - len, "\t%08x\n", (unsigned)crc);
	return len;
}

/* One line (without its LF) to a record; false when it is damaged. */
static bool parse_line(const char *s, size_t len, struct history_rec *r)
{
	const char *f[5];
	size_t fl[5], nf = 0, start = 0;
	char hex[HISTORY_CRC_DIGITS + 1];
	char *end;

	if (len >= HISTORY_LINE_MAX)
		return false;
	for (size_t i = 0; i <= len && nf < 5; i++) {
		if (i == len || s[i] == '\t') {
			f[nf] = s + start;
			fl[nf++] = i - start;
			start = i + 1;
		}
	}
	if (nf != 5 || start != len + 1 || fl[4] != HISTORY_CRC_DIGITS)
		return false;
	memcpy(hex, f[4], HISTORY_CRC_DIGITS);
	hex[HISTORY_CRC_DIGITS] = '\0';
	for (size_t i = 0; i < HISTORY_CRC_DIGITS; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	if ((uint32_t)strtoul(hex, &end, 16) != crc32_of(s, (size_t)(f[4] - s) - 1))
		return false;
	/* the CRC matched; the fields are still checked: a file may be someone else's */
	if (fl[0] == 0 || fl[0] > HISTORY_TIME_DIGITS)
		return false;
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < fl[0]; i++) {
		if (f[0][i] < '0' || f[0][i] > '9')
			return false;
		r->time_ms = r->time_ms * 10 + (f[0][i] - '0');
	}
	r->kind = HISTORY_KIND_COUNT;
	for (size_t k = 0; k < HISTORY_KIND_COUNT; k++)
		if (strlen(history_kind_names[k]) == fl[1] && memcmp(history_kind_names[k], f[1], fl[1]) == 0)
			r->kind = (enum history_kind)k;
	if (r->kind == HISTORY_KIND_COUNT)
		return false;
	if (!(fl[2] == 1 && f[2][0] == '-')) {
		if (!class_ok(f[2], fl[2]))
			return false;
		memcpy(r->cls, f[2], fl[2]);
	}
	if (fl[3] >= HISTORY_REASON_MAX)
		return false;
	for (size_t i = 0; i < fl[3];) {
		size_t l = utf8_len((const unsigned char *)f[3] + i, fl[3] - i);
		if (l == 0 || (l == 1 && ((unsigned char)f[3][i] < 0x20 || f[3][i] == 0x7f)))
			return false;
		i += l;
	}
	memcpy(r->reason, f[3], fl[3]);
	return true;
}

void history_parse(struct history *h, const char *data, size_t len)
{
	size_t start = 0;

	while (start < len) {
		const char *nl = memchr(data + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - data) : len;
		struct history_rec r;

		/* a last line without its LF is a write a crash cut short */
		if (!nl || !parse_line(data + start, end - start, &r)) {
			if (end > start)
				h->damaged++;
		} else if (h->n >= HISTORY_MAX_RECORDS) {
			h->dropped++;
		} else {
			if (h->n == h->cap) {
				h->cap = h->cap ? h->cap * 2 : 64;
				h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
			}
			h->v[h->n++] = r;
		}
		start = end + 1;
	}
}

/* Insertion sort: the file is in time order but for a clock step; equal times keep file order. */
void history_sort(struct history *h)
{
	for (size_t i = 1; i < h->n; i++) {
		if (h->v[i - 1].time_ms <= h->v[i].time_ms)
			continue;
		struct history_rec r = h->v[i];
		size_t j = i;
		while (j > 0 && h->v[j - 1].time_ms > r.time_ms) {
			h->v[j] = h->v[j - 1];
			j--;
		}
		h->v[j] = r;
	}
}

void history_free(struct history *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

enum history_state history_next_state(enum history_state s, enum history_kind k)
{
	switch (k) {
	case HISTORY_UP:
		return HISTORY_S_UP;
	case HISTORY_DOWN:
	case HISTORY_FAILED:
	case HISTORY_DEAD:
	case HISTORY_STALLED:
		/* manually down: the SA going, or an initiation failing, is no outage */
		return s == HISTORY_S_MANUAL ? s : HISTORY_S_DOWN;
	case HISTORY_REKEY:
		return s == HISTORY_S_UNKNOWN ? HISTORY_S_UP : s;
	case HISTORY_MANUAL_DOWN:
		return HISTORY_S_MANUAL;
	case HISTORY_MANUAL_UP:
		/* not known until it is seen up (or failing): its coming up takes no outage */
		return s == HISTORY_S_MANUAL ? HISTORY_S_UNKNOWN : s;
	case HISTORY_START:
	case HISTORY_STOP:
		return HISTORY_S_UNKNOWN;
	default:
		return s;	/* initiate, restart, verdict: notes on the current state */
	}
}

enum history_state history_state_at(const struct history *h, int64_t t)
{
	enum history_state s = HISTORY_S_UNKNOWN;

	for (size_t i = 0; i < h->n && h->v[i].time_ms <= t; i++)
		s = history_next_state(s, h->v[i].kind);
	return s;
}

static void add_time(struct history_avail *a, enum history_state s, int64_t ms)
{
	if (ms <= 0)
		return;
	if (s == HISTORY_S_UP)
		a->up_ms += ms;
	else if (s == HISTORY_S_DOWN)
		a->down_ms += ms;
	else if (s == HISTORY_S_MANUAL)
		a->manual_ms += ms;
	else
		a->unknown_ms += ms;
}

void history_availability(const struct history *h, int64_t from_ms, int64_t to_ms, struct history_avail *out)
{
	enum history_state s = HISTORY_S_UNKNOWN;
	int64_t at = from_ms, down_since = 0;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	out->from_ms = from_ms;
	out->to_ms = to_ms;
	if (to_ms <= from_ms)
		return;
	/* the state at the window's start, and when the outage then under way began */
	for (; i < h->n && h->v[i].time_ms < from_ms; i++) {
		enum history_state n = history_next_state(s, h->v[i].kind);
		if (n == HISTORY_S_DOWN && s != HISTORY_S_DOWN)
			down_since = h->v[i].time_ms;
		s = n;
	}
	/* a record at to_ms is in: what history_state_at(to_ms) says, the counts say too */
	for (; i < h->n && h->v[i].time_ms <= to_ms; i++) {
		const struct history_rec *r = &h->v[i];
		enum history_state n = history_next_state(s, r->kind);
		add_time(out, s, r->time_ms - at);
		at = r->time_ms;
		if (s == HISTORY_S_DOWN && n != HISTORY_S_DOWN) {
			int64_t len = r->time_ms - down_since;
			out->outages++;
			if (len > out->longest_ms)
				out->longest_ms = len;
			if (n == HISTORY_S_UP) {
				out->recovered++;
				out->recover_ms += len;
			}
		} else if (n == HISTORY_S_DOWN && s != HISTORY_S_DOWN) {
			down_since = r->time_ms;
		}
		s = n;
	}
	add_time(out, s, to_ms - at);
	if (s == HISTORY_S_DOWN) {
		out->outages++;
		out->ongoing = true;
		out->ongoing_since = down_since;
		if (to_ms - down_since > out->longest_ms)
			out->longest_ms = to_ms - down_since;
	}
}

double history_percent_up(const struct history_avail *a)
{
	if (a->up_ms + a->down_ms <= 0)
		return -1;
	return 100.0 * (double)a->up_ms / (double)(a->up_ms + a->down_ms);
}

void history_strip(const struct history *h, int64_t from_ms, int64_t to_ms, size_t slots, char *out)
{
	for (size_t k = 0; k < slots; k++) {
		struct history_avail a;
		int64_t span = to_ms - from_ms;
		int64_t s0 = from_ms + (int64_t)((double)span * (double)k / (double)slots);
		int64_t s1 = from_ms + (int64_t)((double)span * (double)(k + 1) / (double)slots);
		history_availability(h, s0, s1, &a);
		out[k] = a.down_ms > 0 ? 'd' : a.up_ms > 0 ? 'u' : a.manual_ms > 0 ? 'm' : '-';
	}
	out[slots] = '\0';
}

json_t *history_rec_json(const struct history_rec *r)
{
	return json_pack("{s:f, s:s, s:o, s:s}", "time", (double)r->time_ms / 1000, "event",
			 history_kind_names[r->kind], "class", json_str_or_null(r->cls[0] ? r->cls : NULL), "reason",
			 r->reason);
}

json_t *history_avail_json(const struct history_avail *a)
{
	double pct = history_percent_up(a);
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "up_seconds", (json_int_t)(a->up_ms / 1000),
			      "down_seconds", (json_int_t)(a->down_ms / 1000), "manual_seconds",
			      (json_int_t)(a->manual_ms / 1000), "unknown_seconds", (json_int_t)(a->unknown_ms / 1000),
			      "outages", (json_int_t)a->outages, "longest_outage_seconds",
			      (json_int_t)(a->longest_ms / 1000), "recovered", (json_int_t)a->recovered);

	/* two decimals: 99.99 % and 100 % must not look alike */
	json_object_set_new(o, "percent_up", pct < 0 ? json_null() : json_real((double)(long long)(pct * 100 + 0.5) / 100));
	json_object_set_new(o, "mttr_seconds", a->recovered ? json_integer((json_int_t)(a->recover_ms / a->recovered / 1000))
							    : json_null());
	if (a->ongoing)
		json_object_set_new(o, "ongoing_since", json_integer((json_int_t)(a->ongoing_since / 1000)));
	return o;
}

json_t *history_summary_json(const struct history *h, int64_t now_ms)
{
	struct history_avail day, week;
	char strip[HISTORY_STRIP_SLOTS + 1];

	history_availability(h, now_ms - HISTORY_DAY_MS, now_ms, &day);
	history_availability(h, now_ms - HISTORY_WEEK_MS, now_ms, &week);
	history_strip(h, now_ms - HISTORY_DAY_MS, now_ms, HISTORY_STRIP_SLOTS, strip);
	return json_pack("{s:o, s:o, s:s, s:s, s:I, s:I}", "day", history_avail_json(&day), "week",
			 history_avail_json(&week), "strip", strip, "state",
			 history_state_names[history_state_at(h, now_ms)], "records", (json_int_t)h->n, "damaged",
			 (json_int_t)h->damaged);
}
