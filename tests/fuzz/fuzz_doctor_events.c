/* fuzz_doctor_events.c - libFuzzer target for the message matcher: any bytes as one message;
 * every capture must lie inside the message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "doctor_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct doctor_events *ix;
	const char *msg = (const char *)data;
	struct doctor_event e;

	if (!ix)
		ix = doctor_events_new();
	doctor_events_classify(ix, msg, size, &e);
	for (unsigned k = 0; k < e.n_cap; k++)
		if (e.cap[k].p < msg || e.cap[k].p + e.cap[k].n > msg + size)
			abort();
	return 0;
}
