/* The control protocol's error code names (see errcode.h). */
#include <stddef.h>

#include "errcode.h"

static const char *const names[ERR_COUNT] = {
	[ERR_NONE] = "",
	[ERR_AUTH] = "auth",
	[ERR_UNKNOWN] = "unknown",
	[ERR_USAGE] = "usage",
	[ERR_RANGE] = "range",
	[ERR_STATE] = "state",
	[ERR_FULL] = "full",
	[ERR_LAYOUT] = "layout",
	[ERR_FIELD] = "field",
	[ERR_SET] = "set",
	[ERR_TRACE] = "trace",
	[ERR_TOOLONG] = "toolong",
	[ERR_BINARY] = "binary",
	[ERR_UNSUPPORTED] = "unsupported",
	[ERR_MEMORY] = "memory",
	[ERR_SNAPSHOT] = "snapshot",
};

const char *
err_name(enum err_code code)
{
	if ((unsigned)code >= ERR_COUNT)
		return NULL;
	return names[code];
}
