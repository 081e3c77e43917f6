/* doctor_conf_xml.h - where things are in a pfSense config.xml: the line of each element of
 * each <phase1> (by ikeid) and <phase2> (by reqid), so the doctor can cite the real lines of
 * a config.xml it read through import-pfsense. Pure: a line scanner, no XML semantics
 * beyond opening tags (the import itself parses with libxml2). */
#ifndef TUNNELCTL_DOCTOR_CONF_XML_H
#define TUNNELCTL_DOCTOR_CONF_XML_H

#include <stddef.h>

#define DOCTOR_CONF_XML_MAX_BLOCKS 4096		/* phase 1 and phase 2 entries indexed */
#define DOCTOR_CONF_XML_MAX_ELEMENTS 256		/* elements indexed per entry */

struct doctor_conf_xml_index;

/* Index the <phase1>/<phase2> entries of xml (len bytes). Never NULL; free with doctor_conf_xml_free. */
struct doctor_conf_xml_index *doctor_conf_xml_build(const char *xml, size_t len);

/* Line (1-based) of the first <elem> in the phase 2 entry with this reqid (reqid > 0) or else
 * the phase 1 entry with this ikeid; item > 0 looks inside the item-th <item> (phase 1
 * proposals). 0 when absent; *entry_line (if not NULL) gets the entry's own line, 0 if no
 * such entry. */
unsigned doctor_conf_xml_line(const struct doctor_conf_xml_index *ix, unsigned ikeid, unsigned reqid, const char *elem,
		   unsigned item, unsigned *entry_line);

/* Free an index; NULL is fine. */
void doctor_conf_xml_free(struct doctor_conf_xml_index *ix);

#endif
