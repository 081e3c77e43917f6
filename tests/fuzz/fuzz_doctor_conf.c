/* fuzz_doctor_conf.c - libFuzzer target for the doctor's swanctl.conf reader, normalizer,
 * two-side negotiation and config.xml line index. The input holds both sides, split at the first form feed (without
 * one, the input is compared with itself). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "doctor_conf.h"
#include "doctor_conf_xml.h"

static struct doctor_conf_side *side_of(const char *data, size_t len, struct tc_errors *errs)
{
	struct conf_tree *t = conf_parse("fuzz.swanctl", data, len, NULL, errs);
	struct doctor_conf_side *s = doctor_conf_side_from_swanctl(t, errs);

	doctor_conf_side_add_text(s, "fuzz.swanctl", data, len);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *ff = memchr(text, '\f', size);
	size_t la = ff ? (size_t)(ff - text) : size;
	struct tc_errors errs = { 0 };
	struct doctor_conf_side *a = side_of(text, la, &errs);
	struct doctor_conf_side *b = ff ? side_of(ff + 1, size - la - 1, &errs) : side_of(text, size, &errs);
	struct doctor *d = doctor_new();
	struct doctor_conf_result r = { 0 };
	struct doctor_conf_xml_index *ix = doctor_conf_xml_build(text, size);
	unsigned entry;

	doctor_conf_xml_line(ix, 1, 0, "dhgroup", 1, &entry);
	doctor_conf_xml_line(ix, 1, 2, "pfsgroup", 0, &entry);
	doctor_conf_xml_free(ix);

	doctor_conf_compare(a, b, d, &r);
	doctor_conf_result_free(&r);
	doctor_free(d);
	doctor_conf_side_free(a);
	doctor_conf_side_free(b);
	tc_errors_free(&errs);
	return 0;
}
