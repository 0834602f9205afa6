/* Where control sockets live by default, shared by the shim (which creates
 * them) and hookctl (which finds them by pid). */
#ifndef GH_SOCKPATH_H
#define GH_SOCKPATH_H

#include <stddef.h>
#include <sys/types.h>

/* The default socket directory: $XDG_RUNTIME_DIR/gamehook when that
 * variable names an existing directory, else /tmp/gamehook-<uid>.
 * Returns 0, or -1 when it does not fit in LEN. */
int sockpath_dir(char *buf, size_t len);

/* The default socket of process PID. Returns 0, or -1 when too long. */
int sockpath_for_pid(pid_t pid, char *buf, size_t len);

/* The pid in a default socket's file NAME ("<pid>.sock"), or -1. */
pid_t sockpath_pid_of(const char *name);

/* Split SPEC "HOST:PORT", "[V6]:PORT" or ":PORT" in place into *HOST
 * (DEFAULT_HOST when empty) and *PORT. Returns 0, or -1 without a port. */
int sockpath_hostport(char *spec, const char *default_host, char **host,
    char **port);

/* The log file next to socket SOCK: SOCK with .sock replaced by .log. */
int sockpath_log(const char *sock, char *buf, size_t len);

#endif
