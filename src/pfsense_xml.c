/* pfsense_xml.c - config.xml access for the importer: element children and their text (text
 * and CDATA nodes only: a value reached through an entity reference is never read), and a
 * bound on attributes checked on the raw text. */
#include "pfsense_xml.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "pfsense.h"
#include "util.h"

xmlNode *pfsense_xml_child(const xmlNode *n, const char *name)
{
	if (!n)
		return NULL;
	for (xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

xmlNode *pfsense_xml_next(const xmlNode *c, const char *name)
{
	for (c = c ? c->next : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return (xmlNode *)c;
	return NULL;
}

char *pfsense_xml_text(const xmlNode *n)
{
	struct buf b;
	size_t s = 0;

	if (!n)
		return NULL;
	buf_init(&b);
	buf_adds(&b, "");
	for (xmlNode *c = n->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			buf_adds(&b, (const char *)c->content);
		if (b.len > PFSENSE_MAX_VALUE) {
			buf_free_secret(&b);
			return NULL;
		}
	}
	while (b.len && isspace((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	while (s < b.len && isspace((unsigned char)b.data[s]))
		s++;
	memmove(b.data, b.data + s, b.len - s + 1);
	return buf_steal(&b);
}

char *pfsense_xml_get(const xmlNode *n, const char *name)
{
	return pfsense_xml_text(pfsense_xml_child(n, name));
}

bool pfsense_xml_has(const xmlNode *n, const char *name)
{
	return pfsense_xml_child(n, name) != NULL;
}

bool pfsense_xml_has_text(const xmlNode *n)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			for (const char *p = (const char *)c->content; *p; p++)
				if (!isspace((unsigned char)*p))
					return true;
	return false;
}

/* Skip from p past the first occurrence of end (or to the end of the text), counting lines. */
static size_t xml_skip_past(const char *xml, size_t len, size_t p, const char *end, unsigned *line)
{
	size_t el = strlen(end);

	for (; p < len; p++) {
		if (len - p >= el && memcmp(xml + p, end, el) == 0)
			return p + el;
		if (xml[p] == '\n')
			(*line)++;
	}
	return len;
}

/* 100k attributes on one element took libxml2 minutes. Counts '=' outside quotes in each start
 * tag; comments, CDATA, processing instructions and declarations are skipped. */
int pfsense_xml_attrs_bounded(const char *xml, size_t len, unsigned *bad_line)
{
	unsigned line = 1;
	size_t p = 0;

	while (p < len) {
		unsigned start_line = line, n = 0;
		char quote = 0;

		if (xml[p] != '<') {
			if (xml[p++] == '\n')
				line++;
			continue;
		}
		if (len - p >= 4 && memcmp(xml + p, "<!--", 4) == 0) {
			p = xml_skip_past(xml, len, p + 4, "-->", &line);
			continue;
		}
		if (len - p >= 9 && memcmp(xml + p, "<![CDATA[", 9) == 0) {
			p = xml_skip_past(xml, len, p + 9, "]]>", &line);
			continue;
		}
		if (len - p >= 2 && (xml[p + 1] == '?' || xml[p + 1] == '!')) {
			p = xml_skip_past(xml, len, p + 2, xml[p + 1] == '?' ? "?>" : ">", &line);
			continue;
		}
		for (p++; p < len && (quote || xml[p] != '>'); p++) {
			if (xml[p] == '\n')
				line++;
			if (quote && xml[p] == quote)
				quote = 0;
			else if (!quote && (xml[p] == '"' || xml[p] == '\''))
				quote = xml[p];
			else if (!quote && xml[p] == '=' && ++n > PFSENSE_MAX_ATTRS) {
				*bad_line = start_line;
				return -E2BIG;
			}
		}
	}
	return 0;
}
