/* lazylib.c - open a library on first use and find its functions (see lazylib.h). */
#include "lazylib.h"

#include <dlfcn.h>
#include <stdbool.h>
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

void *lazylib_sym(enum lazylib lib, const char *name)
{
	/* Once loaded, a library stays: its first dlopen is never closed, and later lookups
	 * take a reference only while they search (no handle kept, no count that grows). */
	void *h = dlopen(lazylib_sonames[lib], RTLD_NOW | RTLD_NOLOAD);
	bool loaded = h != NULL;
	void *fn;

	if (!h)
		h = dlopen(lazylib_sonames[lib], RTLD_NOW);
	if (!h)
		lazylib_die(dlerror());
	fn = dlsym(h, name);
	if (!fn)
		lazylib_die(dlerror());
	if (loaded)
		dlclose(h);
	return fn;
}
