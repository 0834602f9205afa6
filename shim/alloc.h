/* The shim's own memory, kept out of the game's snapshots and write
 * tracking from the moment it exists (shim/alloc.c; common/alloc.h is the
 * malloc-like side of the same allocator). */
#ifndef GH_SHIM_ALLOC_H
#define GH_SHIM_ALLOC_H

#include <stddef.h>

/* LEN bytes (rounded up to pages), page-aligned, zero-filled, readable and
 * writable; NULL when there is no memory. Given back with
 * shim_pages_free(P, LEN), LEN as asked. */
void *shim_pages(size_t len);
void shim_pages_free(void *p, size_t len);

#endif
