/* Where libhook.so is, for the programs that launch games under it
 * (hookctl run, dumper replay): $HOOK_LIB, next to the running program,
 * or in ../lib/gamehook after `make install`. */
#ifndef GH_LIBPATH_H
#define GH_LIBPATH_H

#include <stddef.h>

/* The shim's absolute path into OUT. Returns 0, or -1 with ERR set. */
int libpath_find(char *out, size_t len, char *err, size_t errlen);

#endif
