/* Memory for the code the shim shares with its readers (common/) and for
 * the shim's own large buffers. In hookctl, dumper and the tests these are
 * libc's functions (common/alloc.c). In the shim (shim/alloc.c) a request
 * of GH_BIG_ALLOC bytes or more comes from an address range the shim
 * reserves once and keeps out of snapshots and write tracking, so that a
 * buffer the control thread takes or gives back can neither appear in a
 * game's snapshot nor vanish from under a save that is copying the game's
 * memory (malloc would map and unmap such a buffer on its own). Smaller
 * requests go to malloc: below glibc's smallest mmap threshold they come
 * from an arena, and a shim thread's arena is left out already.
 *
 * A pointer from one of these is given back with gh_free, never free(). */
#ifndef GH_ALLOC_H
#define GH_ALLOC_H

#include <stddef.h>

#define GH_BIG_ALLOC ((size_t)64 << 10)

void *gh_malloc(size_t n);
void *gh_calloc(size_t n, size_t size);
void *gh_realloc(void *p, size_t n);
void gh_free(void *p);

#endif
