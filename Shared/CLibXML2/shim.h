#ifndef CLIBXML2_SHIM_H
#define CLIBXML2_SHIM_H

/* Debian builds libxml2 with ICU, so <libxml/encoding.h> pulls in the system's ICU headers,
 * whose types clash with the ICU that Foundation carries (_FoundationICU) in every module that
 * imports both. The ICU part only adds fields to xmlCharEncodingHandler, which the portal
 * never touches: leave it out of this view of the headers. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* xmlFree is a mutable global function pointer, which Swift 6 refuses to touch: call it here. */
static inline void portal_xml_free(void *pointer) { xmlFree(pointer); }
#endif
