/* fuzz_doctor_read.c - libFuzzer target for the log reader: the input is a whole file (in a
 * memfd, so no disk), read forward or backward as its time stamps say, hard-wrapped lines
 * joined, JSON messages decoded, then judged. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "doctor_read.h"
#include "doctor_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct doctor_verdict *v;
	char path[64];
	bool newest_first;
	int fd = memfd_create("fuzz.log", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		struct doctor *d = doctor_new();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (doctor_read_path(d, path, &newest_first) == 0)
			doctor_finish(d, &v);
		doctor_free(d);
	}
	close(fd);
	return 0;
}
