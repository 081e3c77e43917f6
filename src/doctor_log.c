/* doctor_log.c - charon log line parser (see doctor_log.h). Pure: no I/O, no allocation. */
#include <errno.h>
#include <string.h>

#include "doctor_log.h"
#include "util.h"

/* How far into a line we look for charon's "NN[GRP]" token or a syslog tag. */
#define DOCTOR_PREFIX_SCAN 160
/* Longest IKE SA name accepted in "<name|id>". */
#define DOCTOR_MAX_SA_NAME 128
/* Deepest nesting of arrays and objects skipped inside a JSON line. */
#define DOCTOR_JSON_MAX_DEPTH 16
/* Longest logcat tag looked at ("charon" padded to 8 by logcat). */
#define DOCTOR_LOGCAT_MAX_TAG 64

const char *const doctor_fmt_names[DOCTOR_FMT_COUNT] = {
	[DOCTOR_FMT_NONE] = "none",
	[DOCTOR_FMT_FILELOG] = "filelog",
	[DOCTOR_FMT_SYSLOG] = "syslog",
	[DOCTOR_FMT_SYSLOG5424] = "syslog5424",
	[DOCTOR_FMT_GUI] = "gui",
	[DOCTOR_FMT_CONSOLE] = "console",
	[DOCTOR_FMT_JOURNAL] = "journal",
	[DOCTOR_FMT_PLAIN] = "plain",
	[DOCTOR_FMT_LOGCAT] = "logcat",
	[DOCTOR_FMT_JSON] = "json",
};

/* Program names whose syslog lines carry charon's messages. */
static const struct {
	const char *name;
	size_t len;
} tags[] = {
#define TAG(s) { s, sizeof(s) - 1 }
	TAG("charon"), TAG("charon-systemd"), TAG("ipsec"), TAG("ipsec_starter"), TAG("charon-custom"),
#undef TAG
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/* Read exactly n digits at p into *v; false when they are not all digits. */
static bool digits(const char *p, const char *end, int n, int *v)
{
	int x = 0;

	if (end - p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return true;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "hh:mm:ss" at p: seconds of the day, or -1. Written out: it runs once a line. */
static int parse_hms(const char *p, const char *end)
{
	if (end - p < 8 || p[2] != ':' || p[5] != ':' || !is_digit(p[0]) || !is_digit(p[1]) ||
	    !is_digit(p[3]) || !is_digit(p[4]) || !is_digit(p[6]) || !is_digit(p[7]))
		return -1;
	int h = (p[0] - '0') * 10 + (p[1] - '0'), m = (p[3] - '0') * 10 + (p[4] - '0');
	int s = (p[6] - '0') * 10 + (p[7] - '0');
	if (h > 23 || m > 59 || s > 60)
		return -1;
	return h * 3600 + m * 60 + s;
}

/* ISO 8601 stamp "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|+hh:mm|+hhmm]"; returns the end or NULL. */
static const char *parse_iso(const char *p, const char *end, int64_t *t)
{
	int y, mo, d, secs;

	if (!digits(p, end, 4, &y) || end - p < 19 || p[4] != '-' || !digits(p + 5, end, 2, &mo) ||
	    p[7] != '-' || !digits(p + 8, end, 2, &d) || (p[10] != 'T' && p[10] != ' ') ||
	    mo < 1 || mo > 12 || d < 1 || d > 31)
		return NULL;
	secs = parse_hms(p + 11, end);
	if (secs < 0)
		return NULL;
	*t = days_from_civil(y, mo, d) * 86400 + secs;
	p += 19;
	if (p < end && (*p == '.' || *p == ','))
		for (p++; p < end && is_digit(*p); p++)
			;
	if (p < end && *p == 'Z')
		return p + 1;
	if (p < end && (*p == '+' || *p == '-')) {
		int oh, om = 0;
		const char *q = p + 1;
		if (!digits(q, end, 2, &oh))
			return p;
		q += 2;
		if (q < end && *q == ':')
			q++;
		if (digits(q, end, 2, &om))
			q += 2;
		*t -= (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
		return q;
	}
	return p;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* The month (0-11) of an English abbreviation at p (3 bytes readable), or -1. Picked by
 * its letters, then checked whole: this runs once a line. */
static int month_index(const char *p)
{
	int m;

	switch (p[0]) {
	case 'J': m = p[1] == 'a' ? 0 : p[2] == 'n' ? 5 : 6; break;
	case 'F': m = 1; break;
	case 'M': m = p[2] == 'r' ? 2 : 4; break;
	case 'A': m = p[1] == 'p' ? 3 : 7; break;
	case 'S': m = 8; break;
	case 'O': m = 9; break;
	case 'N': m = 10; break;
	case 'D': m = 11; break;
	default: return -1;
	}
	return memcmp(p, months + 3 * m, 3) == 0 ? m : -1;
}

/* BSD stamp "Mmm dd hh:mm:ss[.frac]": the day space-padded ("Dec  6", syslog), zero-padded
 * ("Dec 06", journalctl) or bare ("Dec 6", hand-made). Sets the month (0-11), day and
 * seconds of the day; returns the end or NULL. */
static const char *parse_bsd_parts(const char *p, const char *end, int *mo, int *d, int *secs)
{
	const char *q = p + 4;
	int m, day, s;

	if (end - p < 14 || p[3] != ' ' || (m = month_index(p)) < 0)
		return NULL;
	if (*q == ' ')
		q++;
	if (!is_digit(*q))
		return NULL;
	day = *q++ - '0';
	if (is_digit(*q))
		day = day * 10 + (*q++ - '0');
	if (*q != ' ' || day < 1 || day > 31 || (s = parse_hms(q + 1, end)) < 0)
		return NULL;
	q += 9;
	if (q < end && *q == '.')
		for (q++; q < end && is_digit(*q); q++)
			;
	*mo = m;
	*d = day;
	*secs = s;
	return q;
}

/* Seconds on the year-less scale of BSD stamps: comparable within one file. */
static int64_t yearless(int mo, int d, int secs)
{
	return ((int64_t)mo * 31 + d) * 86400 + secs;
}

/* BSD stamp (see parse_bsd_parts); returns the end or NULL. */
static const char *parse_bsd(const char *p, const char *end, int64_t *t)
{
	int mo, d, secs;

	p = parse_bsd_parts(p, end, &mo, &d, &secs);
	if (p)
		*t = yearless(mo, d, secs);
	return p;
}

/* ctime-style stamp with weekday and year (OpenWrt logread, pfSense 2.x syslogd -C):
 * "Wed Jul  6 17:36:02 2022"; returns the end or NULL. */
static const char *parse_ctime(const char *p, const char *end, int64_t *t)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	int mo, d, secs, y, i;
	const char *q;

	if (end - p < 24 || p[3] != ' ')
		return NULL;
	for (i = 0; i < 7; i++)
		if (p[0] == days[3 * i] && p[1] == days[3 * i + 1] && p[2] == days[3 * i + 2])
			break;
	if (i == 7 || !(q = parse_bsd_parts(p + 4, end, &mo, &d, &secs)))
		return NULL;
	if (q < end && *q == ' ' && digits(q + 1, end, 4, &y)) {
		*t = days_from_civil(y, mo + 1, d) * 86400 + secs;
		return q + 5;
	}
	*t = yearless(mo, d, secs);
	return q;
}

/* logcat stamp "MM-DD hh:mm:ss.mmm" (on the BSD scale: logcat has no year either). */
static const char *parse_logcat_time(const char *p, const char *end, int64_t *t)
{
	int mo, d, secs;

	if (end - p < 14 || !digits(p, end, 2, &mo) || p[2] != '-' || !digits(p + 3, end, 2, &d) ||
	    p[5] != ' ' || mo < 1 || mo > 12 || d < 1 || d > 31)
		return NULL;
	secs = parse_hms(p + 6, end);
	if (secs < 0)
		return NULL;
	*t = yearless(mo - 1, d, secs);
	p += 14;
	if (p < end && *p == '.')
		for (p++; p < end && is_digit(*p); p++)
			;
	return p;
}

/* Charon's "NN[GRP]" or "NN[GRPL]" token at p, followed by a blank or the end. Returns the
 * position after the token, or NULL. */
static const char *parse_thread_group(const char *p, const char *end, struct doctor_line *out)
{
	const char *q = p;
	int thread = 0, n = 0;

	while (q < end && is_digit(*q) && n < 3) {
		thread = thread * 10 + (*q - '0');
		q++;
		n++;
	}
	if (n == 0 || end - q < 5 || q[0] != '[' || !is_upper(q[1]) || !is_upper(q[2]) ||
	    !is_upper(q[3]))
		return NULL;
	q += 4;
	int level = -1;
	if (q < end && is_digit(*q))
		level = *q++ - '0';
	if (q >= end || *q != ']')
		return NULL;
	q++;
	if (q < end && !is_blank(*q))
		return NULL;
	out->thread = thread;
	memcpy(out->group, p + n + 1, 3);
	out->group[3] = '\0';
	out->level = level;
	return q;
}

/* Console "[GRP] msg" (no thread). */
static const char *parse_console_group(const char *p, const char *end, struct doctor_line *out)
{
	if (end - p < 6 || p[0] != '[' || !is_upper(p[1]) || !is_upper(p[2]) || !is_upper(p[3]) ||
	    p[4] != ']' || p[5] != ' ')
		return NULL;
	memcpy(out->group, p + 1, 3);
	out->group[3] = '\0';
	return p + 6;
}

/* " <name|id>" or " <id>" (ike_name = yes) after the thread token. */
static const char *parse_sa_prefix(const char *p, const char *end, struct doctor_line *out)
{
	const char *q = skip_blanks(p, end), *bar = NULL, *s;
	unsigned id = 0;

	if (q >= end || *q != '<')
		return p;
	for (s = q + 1; s < end && s - q <= DOCTOR_MAX_SA_NAME + 12 && *s != '>'; s++) {
		if (*s == '|')
			bar = s;
		else if ((unsigned char)*s < 0x20 || *s == '<')
			return p;
	}
	if (s >= end || *s != '>')
		return p;
	const char *num = bar ? bar + 1 : q + 1;
	if (num == s || s - num > 10)
		return p;
	for (const char *d = num; d < s; d++) {
		if (!is_digit(*d))
			return p;
		id = id * 10 + (unsigned)(*d - '0');
	}
	if (bar) {
		if (bar == q + 1 || bar - (q + 1) > DOCTOR_MAX_SA_NAME)
			return p;
		out->name = q + 1;
		out->name_len = (size_t)(bar - (q + 1));
	}
	out->sa_id = id;
	return s + 1;
}

/* Find a charon thread token at a word start in [p, lim) (lim capped to the scan window). */
static const char *find_thread_token(const char *p, const char *lim, const char *end,
				     struct doctor_line *out)
{
	if (lim - p > DOCTOR_PREFIX_SCAN)
		lim = p + DOCTOR_PREFIX_SCAN;
	for (const char *q = p; q < lim; q++) {
		if (!is_digit(*q) || (q > p && !is_blank(q[-1]) && q[-1] != ':'))
			continue;
		const char *after = parse_thread_group(q, end, out);
		if (after)
			return after;
	}
	return NULL;
}

/* A syslog program tag "NAME[pid]:" or "NAME:" at p; returns the end of the tag or NULL. */
static const char *match_tag(const char *p, const char *end)
{
	if (*p != 'c' && *p != 'i')
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t n = tags[i].len;
		const char *q = p + n;
		if ((size_t)(end - p) <= n || memcmp(p, tags[i].name, n) != 0)
			continue;
		if (*q == '[') {
			while (++q < end && is_digit(*q))
				;
			if (q >= end || *q != ']')
				continue;
			q++;
		}
		if (q < end && *q == ':')
			return q + 1;
		/* RFC 5424 "charon 1234 - -" or GUI "charon\t1234\t" */
		if (q < end && is_blank(*q))
			return q;
	}
	return NULL;
}

/* Find the program tag at a word start within the scan window; returns its end. */
static const char *find_tag(const char *p, const char *end, const char **tag_start)
{
	const char *lim = end - p > DOCTOR_PREFIX_SCAN ? p + DOCTOR_PREFIX_SCAN : end;

	for (const char *q = p; q < lim; q++) {
		if (q > p && !is_blank(q[-1]))
			continue;
		const char *after = match_tag(q, end);
		if (after) {
			*tag_start = q;
			return after;
		}
	}
	return NULL;
}

/* After an RFC 5424 / GUI tag: skip "pid", "-" msgid and "-" or "[sd]" structured data. */
static const char *skip_after_tag(const char *p, const char *end)
{
	p = skip_blanks(p, end);
	const char *q = p;
	while (q < end && is_digit(*q))
		q++;
	/* a pid column, not the "NN[GRP]" thread token that may follow directly */
	if (q > p && (q == end || is_blank(*q)))
		p = skip_blanks(q, end);
	for (int field = 0; field < 2 && p < end; field++) {
		if (*p == '-' && (p + 1 == end || is_blank(p[1]))) {
			p = skip_blanks(p + 1, end);
		} else if (*p == '[' && field == 1) {
			const char *c = memchr(p, ']', (size_t)(end - p));
			if (!c)
				break;
			p = skip_blanks(c + 1, end);
		}
	}
	return p;
}

/* The message body after any host/tag prefix: thread token, SA prefix, text. Without a
 * thread token the text starts at p: charon-systemd's indentation (its config dump nests
 * by leading blanks) is part of the message. */
static void parse_body(const char *p, const char *end, struct doctor_line *out)
{
	const char *q = skip_blanks(p, end), *after;

	if ((after = parse_thread_group(q, end, out))) {
		p = parse_sa_prefix(after, end, out);
		if (p < end && *p == ' ')
			p++;
	} else if ((after = parse_console_group(q, end, out))) {
		p = after;
	}
	out->msg = p;
	out->msg_len = (size_t)(end - p);
}

/* A filelog line after its "NN[GRP]" token at q: the SA prefix and the message. */
static int filelog_rest(const char *q, const char *end, struct doctor_line *out)
{
	const char *p = parse_sa_prefix(q, end, out);

	if (p < end && *p == ' ')
		p++;
	out->fmt = DOCTOR_FMT_FILELOG;
	out->msg = p;
	out->msg_len = (size_t)(end - p);
	return 0;
}

/* Journal export "KEY=value": true for field lines; MESSAGE= gives the body. */
static bool journal_field(const char *p, const char *end, const char **value, bool *is_message)
{
	const char *q = p;

	if (q >= end || !(is_upper(*q) || *q == '_'))
		return false;
	while (q < end && (is_upper(*q) || is_digit(*q) || *q == '_'))
		q++;
	if (q >= end || *q != '=')
		return false;
	*is_message = q - p == 7 && memcmp(p, "MESSAGE", 7) == 0;
	*value = q + 1;
	return true;
}

/* logcat after its optional stamp: "pid tid L tag: msg" (threadtime), "L/tag(pid): msg"
 * (brief, time) or "L/tag: msg" (tag). Returns the message start or NULL. */
static const char *parse_logcat(const char *p, const char *end)
{
	const char *q = p, *tag;

	if (is_digit(*q)) {
		/* threadtime: pid and tid columns, then the level letter alone */
		for (int col = 0; col < 2; col++) {
			if (!is_digit(*q))
				return NULL;
			while (q < end && is_digit(*q))
				q++;
			q = skip_blanks(q, end);
			if (q >= end)
				return NULL;
		}
		if (end - q < 4 || !strchr("VDIWEFA", *q) || q[1] != ' ')
			return NULL;
		tag = q + 2;
	} else {
		if (end - q < 4 || !strchr("VDIWEFA", *q) || q[1] != '/')
			return NULL;
		tag = q + 2;
	}
	/* the tag runs to "(pid):" or ":", padded with blanks but without inner blanks */
	bool padded = false;
	for (q = tag; q < end && q - tag <= DOCTOR_LOGCAT_MAX_TAG; q++) {
		if (*q == ':' && q > tag)
			return q + 1 < end && q[1] == ' ' ? q + 2 : q + 1;
		if (*q == '(' && q > tag && tag[-1] == '/') {
			const char *r = skip_blanks(q + 1, end);
			if (r >= end || !is_digit(*r))
				return NULL;
			while (r < end && is_digit(*r))
				r++;
			if (end - r < 2 || r[0] != ')' || r[1] != ':')
				return NULL;
			return r + 2 < end && r[2] == ' ' ? r + 3 : r + 2;
		}
		if (*q == ' ')
			padded = true;
		else if (padded || (unsigned char)*q < 0x20)
			return NULL;
	}
	return NULL;
}

/* One JSON string at p (the opening quote): *s and *n get its inside, *esc whether it has
 * escapes. Returns the position after the closing quote or NULL. */
static const char *json_string(const char *p, const char *end, const char **s, size_t *n,
			       bool *esc)
{
	*esc = false;
	for (const char *q = p + 1; q < end; q++) {
		if (*q == '\\') {
			*esc = true;
			q++;
		} else if (*q == '"') {
			*s = p + 1;
			*n = (size_t)(q - (p + 1));
			return q + 1;
		}
	}
	return NULL;
}

/* Skip one JSON value that is not a string (number, literal, array, object); returns its
 * end or NULL. */
static const char *json_skip(const char *p, const char *end)
{
	int depth = 0;
	const char *s;
	size_t n;
	bool esc;

	while (p < end) {
		if (*p == '"') {
			if (!(p = json_string(p, end, &s, &n, &esc)))
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[') {
			if (++depth > DOCTOR_JSON_MAX_DEPTH)
				return NULL;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
		} else if (*p == ',' && depth == 0) {
			return p;
		}
		p++;
	}
	return depth == 0 ? p : NULL;
}

/* The fields of a JSON line the doctor uses: journalctl -o json's upper-case names and
 * charon's own filelog json names. */
enum json_field { JF_MSG, JF_NAME, JF_ID, JF_THREAD, JF_GROUP, JF_LEVEL, JF_USEC, JF_TIME, JF_COUNT };

static const struct {
	const char *key;
	size_t len;
	enum json_field f;
} json_keys[] = {
#define JK(s, f) { s, sizeof(s) - 1, f }
	JK("MESSAGE", JF_MSG), JK("msg", JF_MSG),
	JK("IKE_SA_NAME", JF_NAME), JK("ikesa-name", JF_NAME),
	JK("IKE_SA_UNIQUE_ID", JF_ID), JK("ikesa-uniqueid", JF_ID),
	JK("THREAD", JF_THREAD), JK("thread", JF_THREAD),
	JK("GROUP", JF_GROUP), JK("group", JF_GROUP),
	JK("LEVEL", JF_LEVEL), JK("level", JF_LEVEL),
	JK("__REALTIME_TIMESTAMP", JF_USEC), JK("time", JF_TIME),
#undef JK
};

struct json_val {
	const char *s;
	size_t n;
	bool esc, found;
};

/* An unsigned decimal JSON value, quoted or not (at most 19 digits); false otherwise. */
static bool json_uint(const struct json_val *v, uint64_t *out)
{
	uint64_t x = 0;

	if (!v->found || v->esc || v->n == 0 || v->n > 19)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		if (!is_digit(v->s[i]))
			return false;
		x = x * 10 + (uint64_t)(v->s[i] - '0');
	}
	*out = x;
	return true;
}

/* A JSON object on one line: take the message and what charon says about it. */
static int parse_json(const char *p, const char *end, struct doctor_line *out)
{
	struct json_val v[JF_COUNT] = { 0 };
	uint64_t x;

	p = skip_blanks(p + 1, end);
	while (p < end && *p == '"') {
		const char *key, *val;
		size_t klen, vlen;
		bool esc, vesc = false;
		if (!(p = json_string(p, end, &key, &klen, &esc)))
			break;
		p = skip_blanks(p, end);
		if (p >= end || *p != ':')
			break;
		p = skip_blanks(p + 1, end);
		if (p < end && *p == '"') {
			if (!(p = json_string(p, end, &val, &vlen, &vesc)))
				break;
		} else {
			val = p;
			if (!(p = json_skip(p, end)))
				break;
			vlen = (size_t)(p - val);
			while (vlen > 0 && is_blank(val[vlen - 1]))
				vlen--;
		}
		for (size_t i = 0; i < ARRAY_SIZE(json_keys); i++)
			if (json_keys[i].len == klen && memcmp(json_keys[i].key, key, klen) == 0)
				v[json_keys[i].f] = (struct json_val){ val, vlen, vesc, true };
		p = skip_blanks(p, end);
		if (p < end && *p == ',')
			p = skip_blanks(p + 1, end);
	}
	if (!v[JF_MSG].found)
		return -ENOMSG;

	/* charon via syslog: "NN[GRP] <name|id> msg" in MESSAGE; charon-systemd and charon's
	 * json filelog: the bare message, the rest in fields */
	out->fmt = DOCTOR_FMT_JSON;
	parse_body(v[JF_MSG].s, v[JF_MSG].s + v[JF_MSG].n, out);
	out->msg_escaped = v[JF_MSG].esc;
	if (out->thread < 0 && json_uint(&v[JF_THREAD], &x) && x < 1000)
		out->thread = (int)x;
	if (out->level < 0 && json_uint(&v[JF_LEVEL], &x) && x < 10)
		out->level = (int)x;
	if (!out->group[0] && v[JF_GROUP].n == 3 && is_upper(v[JF_GROUP].s[0]) &&
	    is_upper(v[JF_GROUP].s[1]) && is_upper(v[JF_GROUP].s[2])) {
		memcpy(out->group, v[JF_GROUP].s, 3);
		out->group[3] = '\0';
	}
	if (!out->sa_id && json_uint(&v[JF_ID], &x) && x <= UINT32_MAX)
		out->sa_id = (unsigned)x;
	if (!out->name && v[JF_NAME].found && !v[JF_NAME].esc && v[JF_NAME].n > 0 &&
	    v[JF_NAME].n <= DOCTOR_MAX_SA_NAME) {
		out->name = v[JF_NAME].s;
		out->name_len = v[JF_NAME].n;
	}
	if (json_uint(&v[JF_USEC], &x)) {
		out->has_time = true;
		out->time = (int64_t)(x / 1000000);
	} else if (v[JF_TIME].found && !v[JF_TIME].esc) {
		const char *t = v[JF_TIME].s, *te = t + v[JF_TIME].n;
		out->has_time = parse_iso(t, te, &out->time) != NULL ||
				parse_bsd(t, te, &out->time) != NULL;
	}
	return 0;
}

/* Four hex digits at s (n bytes left): the value, or -1. */
static long hex4(const char *s, size_t n)
{
	long v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hex_value(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

size_t doctor_log_json_unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < n && o < cap) {
		char c = s[i++];
		if (c != '\\' || i >= n) {
			out[o++] = c;
			continue;
		}
		c = s[i++];
		switch (c) {
		case 'b': case 'f': out[o++] = '?'; continue;
		case 't': out[o++] = '\t'; continue;
		case 'n': case 'r': out[o++] = ' '; continue;
		case 'u': break;
		default: out[o++] = c; continue;	/* \" \\ \/ and anything unknown */
		}
		long u = hex4(s + i, n - i);
		if (u < 0) {
			out[o++] = '?';
			continue;
		}
		i += 4;
		if (u >= 0xd800 && u <= 0xdbff && n - i >= 6 && s[i] == '\\' && s[i + 1] == 'u') {
			long lo = hex4(s + i + 2, n - i - 2);
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
		}
		unsigned char b[4];
		size_t k;
		if (u < 0x20 || (u >= 0xd800 && u <= 0xdfff)) {
			b[0] = '?';
			k = 1;
		} else if (u < 0x80) {
			b[0] = (unsigned char)u;
			k = 1;
		} else if (u < 0x800) {
			b[0] = (unsigned char)(0xc0 | (u >> 6));
			b[1] = (unsigned char)(0x80 | (u & 0x3f));
			k = 2;
		} else if (u < 0x10000) {
			b[0] = (unsigned char)(0xe0 | (u >> 12));
			b[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
			b[2] = (unsigned char)(0x80 | (u & 0x3f));
			k = 3;
		} else {
			b[0] = (unsigned char)(0xf0 | (u >> 18));
			b[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
			b[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
			b[3] = (unsigned char)(0x80 | (u & 0x3f));
			k = 4;
		}
		if (cap - o < k)
			break;
		memcpy(out + o, b, k);
		o += k;
	}
	return o;
}

/* The line's leading time stamp, whichever of the known forms it is; sets *p past it.
 * *rfc5424 is set for ISO stamps (RFC 5424 and journalctl -o short-iso), *logcat for
 * logcat's "MM-DD hh:mm:ss.mmm". */
static void parse_stamp(const char **p, const char *end, struct doctor_line *out, bool *rfc5424,
			bool *logcat)
{
	const char *q = *p;

	if (end - q < 14)
		return;
	if (is_digit(q[0]) && q[2] == '-') {
		q = parse_logcat_time(q, end, &out->time);
		*logcat = q != NULL;
	} else if (is_digit(q[0])) {
		q = parse_iso(q, end, &out->time);
		*rfc5424 = q != NULL;
	} else if (q[3] == ' ' && is_digit(q[5])) {
		q = parse_bsd(q, end, &out->time);
	} else {
		q = parse_bsd(q, end, &out->time);
		if (!q)
			q = parse_ctime(*p, end, &out->time);
	}
	if (q) {
		out->has_time = true;
		*p = q;
	}
}

int doctor_log_parse(const char *line, size_t len, struct doctor_line *out)
{
	const char *p = line, *end = line + len, *q, *tok, *tag;
	bool is_message, rfc5424 = false, logcat = false;

	memset(out, 0, sizeof(*out));
	out->thread = -1;
	out->level = -1;
	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	out->msg = p;
	if (p == end)
		return -ENOMSG;

	/* journalctl -o json, charon's json filelog */
	if (*p == '{')
		return parse_json(p, end, out);

	/* journalctl -o export: one field per line */
	if (journal_field(p, end, &q, &is_message)) {
		if (!is_message)
			return -ENOMSG;
		out->fmt = DOCTOR_FMT_JOURNAL;
		parse_body(q, end, out);
		return 0;
	}

	/* optional syslog "<pri>", RFC 5424 "<pri>1 ", and a timestamp */
	if (*p == '<') {
		q = p + 1;
		while (q < end && is_digit(*q) && q - p < 5)
			q++;
		if (q < end && *q == '>' && q > p + 1) {
			p = q + 1;
			if (end - p >= 2 && p[0] == '1' && p[1] == ' ') {
				p += 2;
				rfc5424 = true;
			}
		}
	}
	parse_stamp(&p, end, out, &rfc5424, &logcat);

	/* fast path: a filelog line has the thread token right after the time */
	const char *body = skip_blanks(p, end);
	if (body < end && is_digit(*body) && !logcat && (q = parse_thread_group(body, end, out)))
		return filelog_rest(q, end, out);

	/* Android logcat: threadtime and time after their stamp, brief and tag without */
	if ((logcat || (end - body > 2 && body[1] == '/')) && (tag = parse_logcat(body, end))) {
		out->fmt = DOCTOR_FMT_LOGCAT;
		parse_body(tag, end, out);
		return 0;
	}

	/* pfSense/OPNsense GUI copy: columns separated by tabs */
	if (out->has_time && p < end && *p == '\t') {
		const char *c = skip_blanks(p, end);
		/* OPNsense has a severity column before the process */
		if ((tag = find_tag(c, end, &tok)) && tok - c < 24) {
			out->fmt = DOCTOR_FMT_GUI;
			parse_body(skip_after_tag(tag, end), end, out);
			return 0;
		}
	}

	/* syslog: [host] then "charon[pid]:" (RFC 3164) or "charon pid - -" (RFC 5424), unless
	 * a thread token comes first ("charon" inside a filelog message) */
	if ((tag = find_tag(p, end, &tok)) && !find_thread_token(p, tok, end, out)) {
		out->fmt = rfc5424 ? DOCTOR_FMT_SYSLOG5424 : DOCTOR_FMT_SYSLOG;
		if (tag[-1] == ':')
			tag += tag < end && *tag == ' ';
		else
			tag = skip_after_tag(tag, end);
		parse_body(tag, end, out);
		return 0;
	}

	/* filelog with a custom time_format, or syslog with another tag ("daemon.info :") */
	if ((q = find_thread_token(p, end, end, out))) {
		bool tagged = out->has_time && memchr(p, ':', (size_t)(q - p)) != NULL;
		filelog_rest(q, end, out);
		if (tagged)
			out->fmt = rfc5424 ? DOCTOR_FMT_SYSLOG5424 : DOCTOR_FMT_SYSLOG;
		return 0;
	}

	/* swanctl --initiate: "[GRP] msg"; anything else is plain text (ipsec up output) */
	p = skip_blanks(p, end);
	q = parse_console_group(p, end, out);
	out->fmt = q ? DOCTOR_FMT_CONSOLE : DOCTOR_FMT_PLAIN;
	out->msg = q ? q : p;
	out->msg_len = (size_t)(end - out->msg);
	return out->msg_len ? 0 : -ENOMSG;
}
