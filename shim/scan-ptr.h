/* Where a scanned address lives, for a layout entry: in a module's data
 * (an offset from its load base, which stays put run after run), or
 * elsewhere (the heap, a mapping), then reached by a pointer chain from a
 * module's data found by a pointer scan. Frame thread, at a boundary. */
#ifndef GH_SCAN_PTR_H
#define GH_SCAN_PTR_H

#include <stddef.h>
#include <stdint.h>

#include "scan.h"

#define SCANPTR_DEPTH_MAX 4

/* A chain: start at the module's base + OFFSET, then for each of the
 * NPTR steps read the pointer there and add PTR[i] (the layout's
 * "pointers"). NPTR 0: the address is in the module's data. */
struct scanptr_chain {
	char module[256];       /* "" for the main executable */
	uintptr_t offset;
	int nptr;
	intptr_t ptr[SCANPTR_DEPTH_MAX];
};

/* Whether ADDR lies in a module's writable data: then *OUT holds its
 * module and offset (nptr 0) and this returns 1. */
int scanptr_static(uintptr_t addr, struct scanptr_chain *out);

/* A pointer chain to TARGET of at most DEPTH steps, each pointer at most
 * RANGE bytes before the address it leads to, from a module's data, over
 * the memory MEM (NMEM regions, sorted): the main executable's before a
 * library's, then the shortest. Returns 1 with *OUT, 0 when none, -1
 * with ERR set. */
int scanptr_find(uintptr_t target, const struct scan_region *mem, int nmem,
    int depth, uintptr_t range, struct scanptr_chain *out, char *err,
    size_t errlen);

#endif
