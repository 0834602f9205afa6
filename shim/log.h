/* The shim's log: a file (HOOK_LOG, default next to the socket), never the
 * game's terminal. */
#ifndef GH_LOG_H
#define GH_LOG_H

/* Open the log at PATH (append, close-on-exec). Returns 0 or -1. */
int log_open(const char *path);

/* Write one line to the log; a no-op when the log is not open. */
void hlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Close the log (in a forked child). */
void log_close(void);

#endif
