#ifndef CCMARKGFM_SHIM_H
#define CCMARKGFM_SHIM_H
#include <cmark-gfm.h>
#endif
