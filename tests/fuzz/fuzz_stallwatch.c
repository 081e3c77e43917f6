/* fuzz_stallwatch.c - libFuzzer target for the /proc/net/xfrm_stat reader: the input split at
 * its first NUL (or in half) into two readings; any bytes compare without harm, the text
 * written stays in its buffer, and a reading compared with itself shows nothing grown. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stallwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t cut = nul ? (size_t)(nul - text) : size / 2;
	size_t rest = nul ? size - cut - 1 : size - cut;
	char out[256], small[8];

	if (size > STALLWATCH_XFRM_MAX)
		return 0;
	stallwatch_xfrm_grown(text, cut, text + size - rest, rest, out, sizeof(out));
	if (strlen(out) >= sizeof(out))
		abort();
	stallwatch_xfrm_grown(text + size - rest, rest, text, cut, small, sizeof(small));
	if (strlen(small) >= sizeof(small))
		abort();
	if (stallwatch_xfrm_grown(text, cut, text, cut, out, sizeof(out)) != 0 || out[0])
		abort();
	return 0;
}
