/* test_keepalive_peers.c - the silent peers the daemon writes (STATE_DIR/keepalive/peers.json)
 * as status and /metrics read them back: which peers are silent, since when (issue 20). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keepalive.h"
#include "util.h"
#include "web_metrics.h"

/* The shape peers_save writes: one silent gateway, one that answered again. */
static const char peers_json[] =
	"{\"peers\": [\n"
	" {\"address\": \"192.0.2.2\", \"back_since\": 0, \"probe\": \"ike\", \"silent\": true,\n"
	"  \"silent_since\": 1765008668, \"tunnels\": 50},\n"
	" {\"address\": \"2001:db8::7\", \"back_since\": 1765008700, \"probe\": \"echo\", \"silent\": false,\n"
	"  \"silent_since\": 1765008600, \"tunnels\": 1}\n"
	"]}\n";

struct dir {
	char path[64];
};

static void dir_make(struct dir *d, const char *content)
{
	char sub[128], file[160];

	snprintf(d->path, sizeof(d->path), "/tmp/tc-test-peers.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(sub, sizeof(sub), "%s/keepalive", d->path);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof(file), "%s/%s", d->path, KEEPALIVE_PEERS_FILE);
	if (content)
		assert_int_equal(file_write_atomic(file, content, strlen(content), 0600), 0);
}

static void dir_remove(struct dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

static void test_load_and_metrics(void **state)
{
	struct dir d;
	json_t *peers, *doc;
	struct buf out;

	(void)state;
	dir_make(&d, peers_json);
	peers = keepalive_peers_load(d.path);
	assert_non_null(peers);
	assert_int_equal(json_array_size(peers), 2);
	doc = json_pack("{s:I, s:{s:b}, s:[], s:o}", "generated", (json_int_t)1765008670, "charon", "reachable", 1,
			"ike_sas", "peers", peers);
	buf_init(&out);
	web_metrics_render(doc, 1765008670, &out);
	assert_non_null(strstr(out.data, "\ntunnelctl_peer_silent{peer=\"192.0.2.2\"} 1\n"));
	assert_non_null(strstr(out.data, "\ntunnelctl_peer_silent{peer=\"2001:db8::7\"} 0\n"));
	assert_non_null(strstr(out.data, "\ntunnelctl_peer_silent_since_timestamp_seconds{peer=\"192.0.2.2\"} 1765008668\n"));
	assert_non_null(strstr(out.data, "# TYPE tunnelctl_peer_silent gauge\n"));
	buf_free(&out);
	json_decref(doc);
	dir_remove(&d);
}

/* No file (no daemon yet), or one that does not parse: no peers, and no peer series. */
static void test_missing_or_bad(void **state)
{
	struct dir d;
	json_t *doc;
	struct buf out;

	(void)state;
	dir_make(&d, NULL);
	assert_null(keepalive_peers_load(d.path));
	dir_remove(&d);
	dir_make(&d, "{\"peers\": [ {\"address\": ");
	assert_null(keepalive_peers_load(d.path));
	dir_remove(&d);
	dir_make(&d, "{\"peers\": {\"not\": \"an array\"}}");
	assert_null(keepalive_peers_load(d.path));
	dir_remove(&d);

	doc = json_pack("{s:I, s:{s:b}, s:[]}", "generated", (json_int_t)1, "charon", "reachable", 1, "ike_sas");
	buf_init(&out);
	web_metrics_render(doc, 1, &out);
	assert_null(strstr(out.data, "tunnelctl_peer_silent"));
	buf_free(&out);
	json_decref(doc);
}

/* The read is bounded: a file over KEEPALIVE_PEERS_MAX_BYTES is not read at all. */
static void test_size_limit(void **state)
{
	struct dir d;
	size_t n = KEEPALIVE_PEERS_MAX_BYTES + 64;
	char *big = xmalloc(n + 1);

	(void)state;
	memset(big, ' ', n);
	memcpy(big, "{\"peers\": []}", 13);
	big[n] = '\0';
	dir_make(&d, big);
	assert_null(keepalive_peers_load(d.path));
	free(big);
	dir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_metrics),
		cmocka_unit_test(test_missing_or_bad),
		cmocka_unit_test(test_size_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
