/* common/alloc.h for hookctl, dumper and the tests: libc's allocator. The
 * shim links shim/alloc.c instead. */
#include <stdlib.h>

#include "alloc.h"

void *
gh_malloc(size_t n)
{
	return malloc(n);
}

void *
gh_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void *
gh_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

void
gh_free(void *p)
{
	free(p);
}
