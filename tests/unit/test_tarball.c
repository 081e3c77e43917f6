/* test_tarball.c - the ustar headers and the gzip stream, read back with zlib and checked
 * field by field as POSIX.1 defines them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tarball.h"

/* gunzip with zlib: the whole stream, as any reader would. */
static void gunzip(const struct buf *gz, struct buf *out)
{
	z_stream z;
	unsigned char chunk[4096];
	int rc;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)gz->data;
	z.avail_in = (uInt)gz->len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		assert_true(rc == Z_OK || rc == Z_STREAM_END);
		buf_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (rc != Z_STREAM_END);
	assert_int_equal(z.avail_in, 0);
	inflateEnd(&z);
}

static unsigned long octal_field(const unsigned char *p, size_t w)
{
	char tmp[16] = { 0 };
	memcpy(tmp, p, w);
	return strtoul(tmp, NULL, 8);
}

static void test_header(void **state)
{
	unsigned char h[TARBALL_BLOCK];
	unsigned sum = 0;

	(void)state;
	assert_int_equal(tarball_header(h, "dir/MANIFEST", 1234, 1796588654), 0);
	assert_string_equal((char *)h, "dir/MANIFEST");
	assert_int_equal(octal_field(h + 100, 8), 0600);
	assert_int_equal(octal_field(h + 124, 12), 1234);
	assert_int_equal(octal_field(h + 136, 12), 1796588654);
	assert_int_equal(h[156], '0');
	assert_memory_equal(h + 257, "ustar\0" "00", 8);
	/* the checksum: every byte, its own field counted as spaces */
	for (size_t i = 0; i < TARBALL_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	assert_int_equal(octal_field(h + 148, 7), sum);

	char longname[TARBALL_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tarball_header(h, longname, 1, 0), -ENAMETOOLONG);
	longname[TARBALL_NAME_MAX] = '\0';
	assert_int_equal(tarball_header(h, longname, 1, 0), 0);
	assert_int_equal(tarball_header(h, "", 1, 0), -ENAMETOOLONG);
	assert_int_equal(tarball_header(h, "x", TARBALL_MAX_MEMBER + 1, 0), -EFBIG);
}

static void test_archive(void **state)
{
	struct tarball t = { 0 };
	struct buf gz = { 0 }, tar = { 0 };
	const char *a = "first file\n";
	char big[1000];

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(tarball_add(&t, "d/a.txt", a, strlen(a), 1), 0);
	assert_int_equal(tarball_add(&t, "d/empty", "", 0, 1), 0);
	assert_int_equal(tarball_add(&t, "d/big", big, sizeof(big), 1), 0);
	assert_int_equal(tarball_finish(&t, &gz), 0);
	assert_true(gz.len > 18);
	assert_int_equal((unsigned char)gz.data[0], 0x1f);	/* gzip magic */
	assert_int_equal((unsigned char)gz.data[1], 0x8b);
	gunzip(&gz, &tar);
	/* a.txt: header, one data block; empty: header; big: header, two blocks; two zero blocks */
	assert_int_equal(tar.len, (size_t)TARBALL_BLOCK * (2 + 1 + 3 + 2));
	assert_string_equal(tar.data, "d/a.txt");
	assert_memory_equal(tar.data + TARBALL_BLOCK, a, strlen(a));
	assert_int_equal(tar.data[TARBALL_BLOCK + strlen(a)], 0);	/* padding */
	assert_string_equal(tar.data + 2 * TARBALL_BLOCK, "d/empty");
	assert_string_equal(tar.data + 3 * TARBALL_BLOCK, "d/big");
	assert_int_equal(octal_field((unsigned char *)tar.data + 3 * TARBALL_BLOCK + 124, 12), sizeof(big));
	assert_memory_equal(tar.data + 4 * TARBALL_BLOCK, big, sizeof(big));
	for (size_t i = 6 * TARBALL_BLOCK; i < tar.len; i++)
		assert_int_equal(tar.data[i], 0);
	buf_free(&gz);
	buf_free(&tar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_archive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
