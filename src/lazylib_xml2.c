/* lazylib_xml2.c - the libxml2 functions pfsense.c calls, found on first use (lazylib.h). */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "lazylib.h"

xmlParserCtxtPtr xmlNewParserCtxt(void)
{
	xmlParserCtxtPtr (*fn)(void) = lazylib_sym(LAZYLIB_XML2, "xmlNewParserCtxt");
	return fn();
}

void xmlFreeParserCtxt(xmlParserCtxtPtr ctxt)
{
	void (*fn)(xmlParserCtxtPtr) = lazylib_sym(LAZYLIB_XML2, "xmlFreeParserCtxt");
	fn(ctxt);
}

xmlDocPtr xmlCtxtReadMemory(xmlParserCtxtPtr ctxt, const char *buffer, int size, const char *URL,
			    const char *encoding, int options)
{
	xmlDocPtr (*fn)(xmlParserCtxtPtr, const char *, int, const char *, const char *, int) =
		lazylib_sym(LAZYLIB_XML2, "xmlCtxtReadMemory");
	return fn(ctxt, buffer, size, URL, encoding, options);
}

xmlErrorPtr xmlCtxtGetLastError(void *ctx)
{
	xmlErrorPtr (*fn)(void *) = lazylib_sym(LAZYLIB_XML2, "xmlCtxtGetLastError");
	return fn(ctx);
}

xmlNodePtr xmlDocGetRootElement(const xmlDoc *doc)
{
	xmlNodePtr (*fn)(const xmlDoc *) = lazylib_sym(LAZYLIB_XML2, "xmlDocGetRootElement");
	return fn(doc);
}

void xmlFreeDoc(xmlDocPtr cur)
{
	void (*fn)(xmlDocPtr) = lazylib_sym(LAZYLIB_XML2, "xmlFreeDoc");
	fn(cur);
}
