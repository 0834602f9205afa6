/* Finding libhook.so (see libpath.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libpath.h"

int
libpath_find(char *out, size_t len, char *err, size_t errlen)
{
	const char *env = getenv("HOOK_LIB");
	char self[PATH_MAX];
	ssize_t n;

	if (env != NULL && env[0]) {
		snprintf(out, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		snprintf(err, errlen, "cannot find my own executable");
		return -1;
	}
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(out, len, "%s/libhook.so", self);
	if (access(out, R_OK) == 0)
		return 0;
	snprintf(out, len, "%s/../lib/gamehook/libhook.so", self);
	if (access(out, R_OK) != 0) {
		snprintf(err, errlen, "libhook.so not found next to %s or in "
		    "../lib/gamehook; set HOOK_LIB", self);
		return -1;
	}
	char *real = realpath(out, NULL);
	if (real != NULL) {
		snprintf(out, len, "%s", real);
		free(real);
	}
	return 0;
}
