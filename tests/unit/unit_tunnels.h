/* unit_tunnels.h - for unit tests: a tunnel file from text, every error printed, failing the
 * test when the text does not load. Include after <cmocka.h>. */
#ifndef UNIT_TUNNELS_H
#define UNIT_TUNNELS_H

#include <string.h>

#include "conf.h"
#include "tunnel.h"
#include "util.h"

static inline struct tunnel_file *unit_tunnels(const char *text)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_from_tree(conf_parse("t.conf", text, strlen(text), NULL, &errs), &errs);

	for (size_t i = 0; i < errs.n; i++)
		print_message("%u:%u: %s\n", errs.v[i].line, errs.v[i].col, errs.v[i].msg);
	tc_errors_free(&errs);
	assert_non_null(tf);
	return tf;
}

#endif
