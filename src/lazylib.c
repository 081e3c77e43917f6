/* lazylib.c - open a library on first use and find its functions (see lazylib.h). */
#include "lazylib.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* Debian 12's sonames, the ones the -dev packages link against (debian/control depends on
 * the packages that hold them). */
static const char *const lazylib_sonames[LAZYLIB_COUNT] = {
	[LAZYLIB_XML2] = "libxml2.so.2",
	[LAZYLIB_MHD] = "libmicrohttpd.so.12",
	[LAZYLIB_NFT] = "libnftables.so.1",
	[LAZYLIB_SYSTEMD] = "libsystemd.so.0",
	[LAZYLIB_ZLIB] = "libz.so.1",
};

static void lazylib_die(const char *what)
{
	fprintf(stderr, "tunnelctl: %s\n", what ? what : "cannot load a library");
	exit(1);
}

/* One handle per library, opened by the first call into it and never closed. */
static _Atomic(void *) lazylib_handles[LAZYLIB_COUNT];

void *lazylib_sym(enum lazylib lib, const char *name)
{
	void *h = atomic_load(&lazylib_handles[lib]);
	void *fn;

	if (!h) {
		h = dlopen(lazylib_sonames[lib], RTLD_NOW);
		if (!h)
			lazylib_die(dlerror());
		/* two threads opening the same library at once only add a reference */
		atomic_store(&lazylib_handles[lib], h);
	}
	fn = dlsym(h, name);
	if (!fn)
		lazylib_die(dlerror());
	return fn;
}
