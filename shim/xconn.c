/* Which descriptors are connections to an X server (see xconn.h): learnt
 * once a descriptor, from its peer's address (a Unix socket under
 * /tmp/.X11-unix/, abstract or not, or TCP port 6000 to 6063), kept in a
 * table of atomics the close and dup2 hooks clear. */
#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "sys.h"
#include "xconn.h"

#define XCONN_FDS 4096

enum { XC_UNKNOWN, XC_X, XC_OTHER };

static _Atomic unsigned char known[XCONN_FDS];

static int
peer_is_x(int fd)
{
	union {
		struct sockaddr sa;
		struct sockaddr_un un;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} a;
	socklen_t len = sizeof a;

	memset(&a, 0, sizeof a);
	if (sys_call(SYS_getpeername, fd, &a, &len) != 0)
		return 0;
	if (a.sa.sa_family == AF_UNIX) {
		/* An abstract address starts with a 0 byte. */
		size_t off = offsetof(struct sockaddr_un, sun_path);
		if (len <= off + 1)
			return 0;
		const char *p = a.un.sun_path;
		size_t n = len - off;
		if (p[0] == '\0') {
			p++;
			n--;
		}
		static const char dir[] = "/tmp/.X11-unix/X";
		return n >= sizeof dir - 1 && memcmp(p, dir, sizeof dir - 1) == 0;
	}
	unsigned port = 0;
	if (a.sa.sa_family == AF_INET)
		port = ntohs(a.in.sin_port);
	else if (a.sa.sa_family == AF_INET6)
		port = ntohs(a.in6.sin6_port);
	return port >= 6000 && port < 6064;
}

static int
is_x(int fd)
{
	if (fd < 0 || fd >= XCONN_FDS)
		return 0;
	unsigned char k = atomic_load_explicit(&known[fd], memory_order_relaxed);
	if (k == XC_UNKNOWN) {
		k = peer_is_x(fd) ? XC_X : XC_OTHER;
		atomic_store_explicit(&known[fd], k, memory_order_relaxed);
	}
	return k == XC_X;
}

int
xconn_only(struct pollfd *fds, nfds_t n)
{
	if (n == 0 || fds == NULL)
		return 0;
	for (nfds_t i = 0; i < n; i++)
		if (!is_x(fds[i].fd))
			return 0;
	return 1;
}

void
xconn_forget(int fd)
{
	if (fd >= 0 && fd < XCONN_FDS)
		atomic_store_explicit(&known[fd], XC_UNKNOWN, memory_order_relaxed);
}
