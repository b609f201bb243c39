#ifndef CLIBXML2_SHIM_H
#define CLIBXML2_SHIM_H
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* xmlFree is a mutable global function pointer, which Swift 6 refuses to touch: call it here. */
static inline void portal_xml_free(void *pointer) { xmlFree(pointer); }
#endif
