/* fuzz_xfrm_nl.c - libFuzzer target for trace's decoders of kernel and charon bytes: the input
 * as an XFRM policy dump and as a route answer (xfrm_nl.c), each decoded policy's selectors
 * formatted, parsed back and required equal, and the input as one traffic selector text as
 * charon prints it (trace_sel_parse); and as an XFRM state dump and a route dump as bundle
 * prints them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "xfrm_nl.h"

#define SEL_TEXT 128
#define SEL_INPUT_MAX 256

static void round_trip(const struct trace_sel *s)
{
	char text[SEL_TEXT], again[SEL_TEXT];
	struct trace_sel back;

	trace_sel_format(s, text, sizeof(text));
	if (!trace_sel_parse(text, &back))
		abort();
	if (strcmp(trace_sel_format(&back, again, sizeof(again)), text) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_policies ps = { 0 };
	struct xfrm_nl_route r;
	char err[XFRM_NL_ERR_MAX] = "";
	char sel[SEL_INPUT_MAX + 1];
	struct trace_sel s;
	int done = 0;

	xfrm_nl_decode_policies(data, size, &ps, &done, err);
	for (size_t i = 0; i < ps.n; i++) {
		round_trip(&ps.v[i].src);
		round_trip(&ps.v[i].dst);
	}
	trace_policies_free(&ps);
	xfrm_nl_decode_route(data, size, &r);
	for (int k = 0; k < 2; k++) {
		struct xfrm_nl_text t = { 0 };
		done = 0;
		if (k == 0)
			xfrm_nl_decode_states(data, size, &t, &done, err);
		else
			xfrm_nl_decode_routes(data, size, &t, &done, err);
		buf_free(&t.text);
	}
	if (size <= SEL_INPUT_MAX && !memchr(data, '\0', size)) {
		memcpy(sel, data, size);
		sel[size] = '\0';
		if (trace_sel_parse(sel, &s))
			round_trip(&s);
	}
	return 0;
}
