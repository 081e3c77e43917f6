/* doctor_log.c - charon log line parser (see doctor_log.h). Pure: no I/O, no allocation. */
#include <errno.h>
#include <string.h>

#include "doctor_log.h"
#include "util.h"

/* How far into a line we look for charon's "NN[GRP]" token or a syslog tag. */
#define DOCTOR_PREFIX_SCAN 160
/* Longest IKE SA name accepted in "<name|id>". */
#define DOCTOR_MAX_SA_NAME 128

const char *const doctor_fmt_names[DOCTOR_FMT_COUNT] = {
	[DOCTOR_FMT_NONE] = "none",
	[DOCTOR_FMT_FILELOG] = "filelog",
	[DOCTOR_FMT_SYSLOG] = "syslog",
	[DOCTOR_FMT_SYSLOG5424] = "syslog5424",
	[DOCTOR_FMT_GUI] = "gui",
	[DOCTOR_FMT_CONSOLE] = "console",
	[DOCTOR_FMT_JOURNAL] = "journal",
	[DOCTOR_FMT_PLAIN] = "plain",
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

/* "hh:mm:ss" at p: seconds of the day, or -1. */
static int parse_hms(const char *p, const char *end)
{
	int h, m, s;

	if (!digits(p, end, 2, &h) || end - p < 8 || p[2] != ':' || !digits(p + 3, end, 2, &m) ||
	    p[5] != ':' || !digits(p + 6, end, 2, &s) || h > 23 || m > 59 || s > 60)
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

/* BSD stamp "Mmm dd hh:mm:ss" (day may be space-padded); returns the end or NULL. */
static const char *parse_bsd(const char *p, const char *end, int64_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int mo, d, secs;

	if (end - p < 15 || p[3] != ' ' || !is_upper(p[0]))
		return NULL;
	for (mo = 0; mo < 12; mo++)
		if (p[0] == months[3 * mo] && p[1] == months[3 * mo + 1] && p[2] == months[3 * mo + 2])
			break;
	if (mo == 12)
		return NULL;
	if (p[4] == ' ' && is_digit(p[5]))
		d = p[5] - '0';
	else if (!digits(p + 4, end, 2, &d))
		return NULL;
	if (p[6] != ' ')
		return NULL;
	secs = parse_hms(p + 7, end);
	if (secs < 0)
		return NULL;
	*t = ((int64_t)mo * 31 + d) * 86400 + secs;
	p += 15;
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

/* Find a charon thread token at a word start within the scan window. */
static const char *find_thread_token(const char *p, const char *end, struct doctor_line *out,
				     const char **token_start)
{
	const char *lim = end - p > DOCTOR_PREFIX_SCAN ? p + DOCTOR_PREFIX_SCAN : end;

	for (const char *q = p; q < lim; q++) {
		if (!is_digit(*q) || (q > p && !is_blank(q[-1]) && q[-1] != ':'))
			continue;
		const char *after = parse_thread_group(q, end, out);
		if (after) {
			*token_start = q;
			return after;
		}
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

/* The message body after any host/tag prefix: thread token, SA prefix, text. */
static void parse_body(const char *p, const char *end, struct doctor_line *out)
{
	const char *after;

	p = skip_blanks(p, end);
	after = parse_thread_group(p, end, out);
	if (after)
		p = parse_sa_prefix(after, end, out);
	else if ((after = parse_console_group(p, end, out)))
		p = after;
	if (p < end && *p == ' ')
		p++;
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

int doctor_log_parse(const char *line, size_t len, struct doctor_line *out)
{
	const char *p = line, *end = line + len, *q, *tok, *tag;
	bool is_message;

	memset(out, 0, sizeof(*out));
	out->thread = -1;
	out->level = -1;
	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	out->msg = p;
	if (p == end)
		return -ENOMSG;

	/* journalctl -o export: one field per line */
	if (journal_field(p, end, &q, &is_message)) {
		if (!is_message)
			return -ENOMSG;
		out->fmt = DOCTOR_FMT_JOURNAL;
		parse_body(q, end, out);
		return 0;
	}

	/* optional RFC 5424 "<pri>1 " and a timestamp */
	bool rfc5424 = false;
	if (*p == '<') {
		q = p + 1;
		while (q < end && is_digit(*q) && q - p < 5)
			q++;
		if (q < end && *q == '>' && q > p + 1) {
			p = q + 1;
			if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
				p += 2;
			rfc5424 = true;
		}
	}
	if ((q = parse_iso(p, end, &out->time))) {
		out->has_time = true;
		rfc5424 = true;
		p = q;
	} else if ((q = parse_bsd(p, end, &out->time))) {
		out->has_time = true;
		p = q;
	}

	/* fast path: a filelog line has the thread token right after the time */
	q = skip_blanks(p, end);
	if (q < end && is_digit(*q) && (q = parse_thread_group(q, end, out)))
		return filelog_rest(q, end, out);

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

	/* syslog: host then "charon[pid]:" (RFC 3164) or "charon pid - -" (RFC 5424) */
	if ((tag = find_tag(p, end, &tok)) && (!(q = find_thread_token(p, end, out, &tok)) ||
					       tag <= q)) {
		out->fmt = rfc5424 ? DOCTOR_FMT_SYSLOG5424 : DOCTOR_FMT_SYSLOG;
		out->thread = -1;
		out->level = -1;
		out->group[0] = '\0';
		parse_body(tag[-1] == ':' ? tag : skip_after_tag(tag, end), end, out);
		return 0;
	}

	/* filelog: optional (possibly custom) timestamp, then "NN[GRP]" */
	if ((q = find_thread_token(p, end, out, &tok)))
		return filelog_rest(q, end, out);

	/* swanctl --initiate: "[GRP] msg"; anything else is plain text (ipsec up output) */
	p = skip_blanks(p, end);
	q = parse_console_group(p, end, out);
	out->fmt = q ? DOCTOR_FMT_CONSOLE : DOCTOR_FMT_PLAIN;
	out->msg = q ? q : p;
	out->msg_len = (size_t)(end - out->msg);
	return out->msg_len ? 0 : -ENOMSG;
}
