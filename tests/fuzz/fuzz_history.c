/* fuzz_history.c - libFuzzer target for the timeline reader: any bytes parse without harm,
 * every record read back re-encodes to a line that parses to the same record, and the
 * availability math and the summary hold up on whatever was read. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct history h = { 0 };

	history_parse(&h, (const char *)data, size);
	history_sort(&h);
	for (size_t i = 0; i < h.n; i++) {
		struct history one = { 0 };
		char line[HISTORY_LINE_MAX];
		size_t len = history_encode(&h.v[i], line);
		history_parse(&one, line, len);
		if (one.n != 1 || one.v[0].time_ms != h.v[i].time_ms || one.v[0].kind != h.v[i].kind ||
		    strcmp(one.v[0].cls, h.v[i].cls) != 0 || strcmp(one.v[0].reason, h.v[i].reason) != 0)
			abort();
		history_free(&one);
	}
	int64_t now = h.n ? h.v[h.n - 1].time_ms + 1 : 0;
	struct history_avail a;
	history_availability(&h, now - HISTORY_WEEK_MS, now, &a);
	if (a.up_ms + a.down_ms + a.manual_ms + a.unknown_ms != HISTORY_WEEK_MS || a.recovered > a.outages)
		abort();
	json_decref(history_summary_json(&h, now));
	history_free(&h);
	return 0;
}
