/* unit_helpers.h - what several unit tests need: a tunnel file from text, a scratch state
 * directory, and a VICI list in a message being built. Include after <cmocka.h>. */
#ifndef UNIT_HELPERS_H
#define UNIT_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tunnel.h"
#include "util.h"
#include "vici.h"

/* A list named name with item a, and b when not NULL (traffic selectors, mostly). */
static inline void unit_msg_list(struct vici_msg *m, const char *name, const char *a, const char *b)
{
	vici_msg_list_start(m, name);
	vici_msg_list_item_str(m, a);
	if (b)
		vici_msg_list_item_str(m, b);
	vici_msg_list_end(m);
}

/* The tunnel file in text: every error printed, the test failed when it does not load. */
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

/* A new empty directory named after the test (memory-backed when /dev/shm is writable: some
 * tests sync many small records); free it with unit_tmpdir_remove. */
static inline char *unit_tmpdir(const char *test)
{
	char tmpl[128];
	char *d;

	snprintf(tmpl, sizeof(tmpl), "%s/%s.XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", test);
	d = mkdtemp(tmpl);
	assert_non_null(d);
	return xstrdup(d);
}

/* Remove the directory and everything in it, and free its name. */
static inline void unit_tmpdir_remove(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

#endif
