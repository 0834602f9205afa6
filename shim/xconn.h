/* The X server's connection: waits on it (libxcb's poll inside XSync, the
 * GL driver's round trips) are neither frame boundaries nor virtual time,
 * so the hooks pass them through untouched. */
#ifndef GH_XCONN_H
#define GH_XCONN_H

#include <poll.h>

/* True when every descriptor in FDS (N of them, N > 0) is a socket
 * connected to an X server. Learns each descriptor once (getpeername). */
int xconn_only(struct pollfd *fds, nfds_t n);

/* Forget what is known of FD (closed, or replaced by dup2). */
void xconn_forget(int fd);

#endif
