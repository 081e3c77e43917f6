/* doctor_conf_xml.c - line index of a pfSense config.xml's phase 1 and phase 2 entries. */
#include <stdlib.h>
#include <string.h>

#include "doctor_conf_xml.h"
#include "util.h"

#define DOCTOR_CONF_XML_MAX_NAME 48

struct doctor_conf_xml_elem {
	char name[DOCTOR_CONF_XML_MAX_NAME];
	unsigned line, item;
};

struct doctor_conf_xml_block {
	bool p2;
	unsigned ikeid, reqid, line;
	struct doctor_conf_xml_elem *e;
	size_t n;
};

struct doctor_conf_xml_index {
	struct doctor_conf_xml_block *b;
	size_t n;
};

/* The name of the first opening tag on the line (not </x>, <?x, <!x), into name. */
static bool open_tag(const char *p, const char *end, char name[DOCTOR_CONF_XML_MAX_NAME], const char **after)
{
	const char *lt = memchr(p, '<', (size_t)(end - p));
	size_t l = 0;

	if (!lt || lt + 1 >= end || lt[1] == '/' || lt[1] == '?' || lt[1] == '!')
		return false;
	for (const char *q = lt + 1; q < end && *q != '>' && *q != ' ' && *q != '/' && *q != '\t'; q++) {
		if (l + 1 >= DOCTOR_CONF_XML_MAX_NAME)
			return false;
		name[l++] = *q;
	}
	name[l] = '\0';
	*after = lt + 1 + l;
	return l > 0;
}

/* The decimal text right after the tag on this line (<ikeid>12</ikeid> -> 12), else 0. */
static unsigned tag_number(const char *after, const char *end)
{
	unsigned v = 0;

	if (after >= end || *after != '>')
		return 0;
	for (const char *q = after + 1; q < end && *q >= '0' && *q <= '9' && v < 1000000; q++)
		v = v * 10 + (unsigned)(*q - '0');
	return v;
}

struct doctor_conf_xml_index *doctor_conf_xml_build(const char *xml, size_t len)
{
	struct doctor_conf_xml_index *ix = xcalloc(1, sizeof(*ix));
	struct doctor_conf_xml_block *cur = NULL;
	const char *p = xml, *end = xml + len;
	unsigned line = 0, item = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *after;
		char name[DOCTOR_CONF_XML_MAX_NAME];

		line++;
		if (!cur && open_tag(p, le, name, &after) &&
		    (strcmp(name, "phase1") == 0 || strcmp(name, "phase2") == 0) && ix->n < DOCTOR_CONF_XML_MAX_BLOCKS) {
			ix->b = xrealloc(ix->b, (ix->n + 1) * sizeof(*ix->b));
			cur = &ix->b[ix->n++];
			memset(cur, 0, sizeof(*cur));
			cur->p2 = name[5] == '2';
			cur->line = line;
			item = 0;
		} else if (cur && (memmem(p, (size_t)(le - p), "</phase1>", 9) ||
				   memmem(p, (size_t)(le - p), "</phase2>", 9))) {
			cur = NULL;
		} else if (cur && open_tag(p, le, name, &after)) {
			if (strcmp(name, "item") == 0)
				item++;
			if (strcmp(name, "ikeid") == 0)
				cur->ikeid = tag_number(after, le);
			if (strcmp(name, "reqid") == 0)
				cur->reqid = tag_number(after, le);
			if (cur->n < DOCTOR_CONF_XML_MAX_ELEMENTS) {
				cur->e = xrealloc(cur->e, (cur->n + 1) * sizeof(*cur->e));
				memcpy(cur->e[cur->n].name, name, sizeof(name));
				cur->e[cur->n].line = line;
				cur->e[cur->n].item = item;
				cur->n++;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return ix;
}

unsigned doctor_conf_xml_line(const struct doctor_conf_xml_index *ix, unsigned ikeid, unsigned reqid, const char *elem,
		   unsigned item, unsigned *entry_line)
{
	if (entry_line)
		*entry_line = 0;
	for (size_t i = 0; i < ix->n; i++) {
		const struct doctor_conf_xml_block *b = &ix->b[i];
		if (reqid ? !(b->p2 && b->reqid == reqid) : !(!b->p2 && b->ikeid == ikeid))
			continue;
		if (entry_line)
			*entry_line = b->line;
		for (size_t k = 0; k < b->n; k++)
			if (strcmp(b->e[k].name, elem) == 0 && (item == 0 || b->e[k].item == item))
				return b->e[k].line;
		return 0;
	}
	return 0;
}

void doctor_conf_xml_free(struct doctor_conf_xml_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n; i++)
		free(ix->b[i].e);
	free(ix->b);
	free(ix);
}
