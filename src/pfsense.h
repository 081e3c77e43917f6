/* pfsense.h - pfSense config.xml's <ipsec> section to a tunnel file. Pure: bytes in, text out.
 *
 * The XML is parsed with libxml2 from memory without network access and without entity
 * substitution; values reached through entity references are not read. What the tunnel
 * file cannot say becomes a `#` comment that says so.
 */
#ifndef TUNNELCTL_PFSENSE_H
#define TUNNELCTL_PFSENSE_H

#include <stddef.h>
#include "util.h"

#define PFSENSE_MAX_XML (32u * 1024u * 1024u)	/* config.xml with RRD data can be large */
#define PFSENSE_MAX_VALUE 8192u			/* one element's text (a PSK, a description) */

/* What an import did, for the command's summary. */
struct pfsense_stats {
	size_t p1, p2;			/* entries written as tunnel-file sections */
	size_t skipped;			/* entries left out or commented out */
	size_t unsupported;		/* settings written as "not supported" comments */
};

/* Convert config.xml bytes (at most PFSENSE_MAX_XML) into tunnel-file text in out. Problems
 * that stop the import (not XML, no <pfsense> root, too large) go to errs with the XML line
 * and give -EINVAL (-EFBIG when too large); out then holds nothing useful. */
int pfsense_import(const char *xml, size_t len, const char *name, struct buf *out,
		   struct pfsense_stats *stats, struct tc_errors *errs);

#endif
