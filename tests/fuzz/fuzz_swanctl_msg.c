/* fuzz_swanctl_msg.c - libFuzzer target for the swanctl.conf-to-VICI converters: every connection
 * and secret section of the input becomes a message that must decode again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "conf.h"
#include "swanctl_msg.h"
#include "vici.h"

static void must_decode(const struct vici_msg *m)
{
	struct vici_node *n = NULL;
	struct vici_err err;

	if (vici_msg_decode(m->b.data, m->b.len, &n, &err) != 0)
		abort();
	vici_node_free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("fuzz.conf", (const char *)data, size, NULL, &errs);
	struct conf_node *conns = conf_find(t->root, "connections", CONF_SECTION);
	struct conf_node *secrets = conf_find(t->root, "secrets", CONF_SECTION);

	for (size_t i = 0; conns && i < conns->n_child; i++) {
		struct vici_msg m;

		vici_msg_init(&m);
		if (swanctl_msg_conn(conns->child[i], NULL, &m, &errs) == 0)
			must_decode(&m);
		vici_msg_free(&m);
	}
	for (size_t i = 0; secrets && i < secrets->n_child; i++) {
		struct vici_msg m;

		vici_msg_init(&m);
		if (swanctl_msg_shared(secrets->child[i], &m, &errs) == 0)
			must_decode(&m);
		vici_msg_free(&m);
	}
	conf_tree_free(t);
	tc_errors_free(&errs);
	return 0;
}
