/* fuzz_doctor_log.c - libFuzzer target for the charon log line parser and the rules behind it:
 * the input is split into lines, each parsed (JSON messages decoded as the reader does) and
 * fed to one analysis, which is then judged. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "doctor_log.h"
#include "doctor_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const struct doctor_verdict *v;
	struct doctor *d = doctor_new();
	unsigned in = doctor_add_input(d, "fuzz.log");
	unsigned long no = 0;
	static char text[DOCTOR_MAX_LINE];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct doctor_line l;
		if (n > DOCTOR_MAX_LINE)
			n = DOCTOR_MAX_LINE;
		if (doctor_log_parse(p, n, &l) == 0) {
			if (l.msg_escaped) {
				l.msg_len = doctor_log_json_unescape(l.msg, l.msg_len, text, sizeof(text));
				l.msg = text;
			}
			doctor_feed(d, in, ++no, &l, p, n);
		} else {
			no++;
		}
		p = nl ? nl + 1 : end;
	}
	doctor_finish(d, &v);
	doctor_free(d);
	return 0;
}
