/* pfsense_xml.h - config.xml access for the importer: element children and their text, never
 * through entities, and the attribute bound checked before libxml2 sees the text. Internal to
 * pfsense*.c. */
#ifndef TUNNELCTL_PFSENSE_XML_H
#define TUNNELCTL_PFSENSE_XML_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

/* The first element child of n named name, or NULL (n may be NULL). */
xmlNode *pfsense_xml_child(const xmlNode *n, const char *name);
/* The next element sibling of c named name, or NULL (c may be NULL). */
xmlNode *pfsense_xml_next(const xmlNode *c, const char *name);
/* Text of element n (text and CDATA children only), trimmed; "" when empty; NULL when n is
 * NULL or the text is longer than PFSENSE_MAX_VALUE. Caller frees. */
char *pfsense_xml_text(const xmlNode *n);
/* Text of child element name of n, or NULL if absent. Caller frees. */
char *pfsense_xml_get(const xmlNode *n, const char *name);
/* Has n a child element name? */
bool pfsense_xml_has(const xmlNode *n, const char *name);
/* True when element n has text other than white space (without copying it: it may be a key). */
bool pfsense_xml_has_text(const xmlNode *n);

/* Refuse an element with more than PFSENSE_MAX_ATTRS attributes before libxml2 parses the
 * text (its duplicate check is quadratic). 0, or -E2BIG with *bad_line (1-based). */
int pfsense_xml_attrs_bounded(const char *xml, size_t len, unsigned *bad_line);

#endif
