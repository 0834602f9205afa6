/* The control socket: a Unix stream socket (0600 in a 0700 directory, peer
 * uid checked) served by one thread that multiplexes every client. */
#ifndef GH_CTL_H
#define GH_CTL_H

#include <stddef.h>

/* Create the directory and the listening socket at shim_cfg.socket_path.
 * Returns 0, or -1 with a reason in ERR. */
int ctl_listen(char *err, size_t errlen);

/* Also listen on TCP at shim_cfg.listen (HOST:PORT, [V6]:PORT or :PORT
 * for loopback); clients must `auth` with the token first. Returns 0, or
 * -1 with a reason in ERR. */
int ctl_listen_tcp(char *err, size_t errlen);

/* Start the control thread. Returns 0 or -1 (logged). */
int ctl_start(void);

/* In a forked child: drop the parent's descriptors, serve nothing. */
void ctl_forget(void);

/* Remove the socket file (at exit). */
void ctl_unlink(void);

#endif
