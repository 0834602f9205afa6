/* The control protocol's error codes: one enum and the one table of their
 * names, which replies carry (`err CODE MESSAGE`, Response.code).
 * python/gamehook.py mirrors the names (ERROR_CODES; a test compares). */
#ifndef GH_ERRCODE_H
#define GH_ERRCODE_H

enum err_code {
	ERR_NONE,         /* not an error: an ok reply */
	ERR_AUTH,         /* TCP client not authenticated; closes it */
	ERR_UNKNOWN,      /* no such command */
	ERR_USAGE,        /* bad or missing argument */
	ERR_RANGE,        /* a number out of range */
	ERR_STATE,        /* not possible now */
	ERR_FULL,         /* input queue full */
	ERR_LAYOUT,       /* no layout could be loaded */
	ERR_FIELD,        /* a bad path or value */
	ERR_SET,          /* the write failed */
	ERR_TRACE,        /* cannot record there */
	ERR_TOOLONG,      /* a line over TP_LINE_MAX bytes */
	ERR_BINARY,       /* control bytes in a line, or a bad binary request */
	ERR_UNSUPPORTED,  /* not possible with this game */
	ERR_MEMORY,       /* out of memory */
	ERR_SNAPSHOT,     /* a save or load failed */
	ERR_COUNT
};

/* The name a reply carries for CODE: "" for ERR_NONE, NULL past the end. */
const char *err_name(enum err_code code);

#endif
