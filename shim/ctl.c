/* The control server (see ctl.h): accepts clients, frames their lines, and
 * wakes on the frame thread's eventfd to complete steps and requests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/alloc.h"
#include "../common/sockpath.h"
#include "ctl-client.h"
#include "ctl-pixels.h"
#include "ctl.h"
#include "fastpath.h"
#include "frame.h"
#include "log.h"
#include "real.h"
#include "shim.h"
#include "snapshot.h"

#define OUT_MAX (64u << 20)  /* a client this far behind is dropped */

struct ctl_state ctl = { .sched_until = -1, .tap_next = 0 };

static int listen_fd = -1;
static int tcp_fd = -1;
static int epoll_fd = -1;
static char bound_path[108];
static ino_t bound_ino;

/* Check or create the socket directory: ours, a directory, mode 0700. */
static int
ensure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0) {
		snprintf(err, errlen, "stat %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
		snprintf(err, errlen, "%s is not a directory owned by uid %u",
		    dir, (unsigned)getuid());
		return -1;
	}
	/* mkdir's mode went through the game's umask: set it exactly. */
	if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) != 0) {
		snprintf(err, errlen, "chmod %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove sockets in DIR left by processes that no longer exist. */
static void
sweep_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		pid_t pid = sockpath_pid_of(e->d_name);
		if (pid < 0)
			continue;
		if (kill(pid, 0) != 0 && errno == ESRCH) {
			char p[512];
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	closedir(d);
}

int
ctl_listen(char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *path = shim_cfg.socket_path;
	char dir[sizeof a.sun_path];
	struct stat st;

	if (strlen(path) >= sizeof a.sun_path) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (ensure_dir(dir, err, errlen) != 0)
			return -1;
		sweep_stale(dir);
	}
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	/* Bind and listen under a temporary name, then rename: the socket
	 * appears at its path only once it accepts connections. */
	char tmp[sizeof a.sun_path];
	if (snprintf(tmp, sizeof tmp, "%s.%d~", path, (int)shim_getpid()) >=
	    (int)sizeof tmp) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	memcpy(a.sun_path, tmp, strlen(tmp) + 1);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(tmp);
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    chmod(tmp, 0600) != 0 || listen(listen_fd, 64) != 0 ||
	    rename(tmp, path) != 0) {
		snprintf(err, errlen, "listen on %s: %s", path, strerror(errno));
		unlink(tmp);
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	if (stat(path, &st) == 0)
		bound_ino = st.st_ino;
	snprintf(bound_path, sizeof bound_path, "%s", path);
	return 0;
}

void
ctl_unlink(void)
{
	struct stat st;

	/* Only our own socket: the path may have been reused since. */
	if (bound_path[0] && stat(bound_path, &st) == 0 && st.st_ino == bound_ino)
		unlink(bound_path);
	bound_path[0] = '\0';
}

void
ctl_forget(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
	if (tcp_fd >= 0)
		close(tcp_fd);
	tcp_fd = -1;
	if (epoll_fd >= 0)
		close(epoll_fd);
	listen_fd = epoll_fd = -1;
	bound_path[0] = '\0';
	for (struct client *c = ctl.clients; c != NULL; c = c->next)
		close(c->fd);
	ctl.clients = NULL;
}

void
ctl_set_events(struct client *c)
{
	struct epoll_event ev = { .data.ptr = c };

	/* Read whenever there is room, even while the client waits: its next
	 * command is then at hand the moment the wait ends. */
	if (!c->closing && !c->eof && !c->lent && c->inlen < sizeof c->in)
		ev.events |= EPOLLIN;
	if (c->outlen > 0)
		ev.events |= EPOLLOUT;
	if (ev.events != c->events) {
		c->events = ev.events;
		epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Clients closed during the current epoll batch: a later event of the
 * same batch may still name one, so their memory waits for the batch's end. */
static struct client *dead;

/* Close C and take it out of every list; its memory goes at reap_dead(). */
static void
client_free(struct client *c)
{
	struct client **pp;

	for (pp = &ctl.clients; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	/* The frame thread lets go of the descriptor (a step reply it would
	 * send, a lent client it would read) before it can be reused. */
	if (c->fast)
		fast_disarm(NULL);
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	gh_free(c->out);
	c->out = NULL;
	c->outlen = c->outcap = 0;
	pixshm_drop(c);
	cmd_client_gone(c);
	/* A request in flight is the frame thread's until it completes; its
	 * reply then goes nowhere. */
	if (ctl.post_owner == c)
		ctl.post_owner = NULL;
	ctl.nclients--;
	int stepping = c->wait == WAIT_STEP;
	c->wait = WAIT_NONE;
	c->fast = c->lent = 0;
	c->gone = 1;
	c->dead_next = dead;
	dead = c;
	/* Frames owed only to a client that left are not run. */
	if (stepping)
		cmd_reschedule();
	ctl_update_notify();
}

/* Free the clients closed during the batch just handled. */
static void
reap_dead(void)
{
	while (dead != NULL) {
		struct client *c = dead;
		dead = c->dead_next;
		free(c);
	}
}

/* Send what is buffered; returns -1 when the client is gone. */
static int
flush_out(struct client *c)
{
	while (c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -1;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	return 0;
}

void
ctl_send(struct client *c, const char *buf, size_t len)
{
	if (c->outlen + len > OUT_MAX) {
		hlog("client %d: %zu bytes unread, dropping it", c->fd, c->outlen);
		c->closing = 2;
		return;
	}
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + len)
			cap *= 2;
		char *p = gh_realloc(c->out, cap);
		if (p == NULL) {
			c->closing = 2;
			return;
		}
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
}

static void
vreply(struct client *c, const char *head, const char *fmt, va_list ap)
{
	char buf[16384];
	int n = snprintf(buf, sizeof buf, "%s", head);
	int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);

	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	/* An empty payload leaves "ok" alone on its line. */
	if (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n++] = '\n';
	ctl_send(c, buf, (size_t)n);
}

void
ctl_ok(struct client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (c->binary) {
		char buf[16384];
		vsnprintf(buf, sizeof buf, fmt, ap);
		bin_reply(c, ERR_NONE, buf);
	} else {
		vreply(c, "ok ", fmt, ap);
	}
	va_end(ap);
}

void
ctl_err(struct client *c, enum err_code code, const char *fmt, ...)
{
	char head[64];
	va_list ap;

	snprintf(head, sizeof head, "err %s ", err_name(code));
	va_start(ap, fmt);
	if (c->binary) {
		char buf[16384];
		vsnprintf(buf, sizeof buf, fmt, ap);
		bin_reply(c, code, buf);
	} else {
		vreply(c, head, fmt, ap);
	}
	va_end(ap);
}

void
ctl_update_notify(void)
{
	int64_t at = FRAME_NONE;

	int pausing = 0;

	for (struct client *c = ctl.clients; c != NULL; c = c->next) {
		if (c->wait == WAIT_STEP && !c->fast && c->target < at)
			at = c->target;
		if (c->wait == WAIT_PAUSE)
			pausing = 1;
	}
	frame_notify_at(at);
	frame_notify_on_stop(pausing);
}

/* Process the complete lines buffered for C while it is not waiting. */
static void
process_lines(struct client *c)
{
	while (c->wait == WAIT_NONE && !c->closing && c->inlen > 0) {
		char *nl = memchr(c->in, '\n', c->inlen);
		if (nl == NULL) {
			if (c->inlen >= TP_LINE_MAX + 1 || c->eof) {
				if (!c->discarding && !c->eof)
					ctl_err(c, ERR_TOOLONG, "line longer than "
					    "%d bytes", TP_LINE_MAX);
				c->discarding = !c->eof;
				c->inlen = 0;
			}
			return;
		}
		size_t len = (size_t)(nl - c->in);
		*nl = '\0';
		if (len > 0 && c->in[len - 1] == '\r')
			c->in[--len] = '\0';
		if (c->discarding) {
			c->discarding = 0;
		} else if (len > TP_LINE_MAX) {
			ctl_err(c, ERR_TOOLONG, "line longer than %d bytes",
			    TP_LINE_MAX);
		} else if (memchr(c->in, '\0', len) != NULL) {
			ctl_err(c, ERR_BINARY, "NUL bytes in a command line");
		} else {
			cmd_exec(c, c->in);
		}
		memmove(c->in, nl + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
	}
}

/* The descriptors that came with C's bytes: the last one passed by a
 * binary client on the Unix socket is its pictures' memory; the others
 * are closed. */
static void
take_fds(struct client *c, struct msghdr *mh)
{
	if (mh->msg_controllen == 0)
		return;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h != NULL;
	    h = CMSG_NXTHDR(mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		int fds[4];
		int nfd = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		/* The control buffer holds 4 (the kernel closes what did not
		 * fit): never more than fds[] either way. */
		if (nfd > 4)
			nfd = 4;
		memcpy(fds, CMSG_DATA(h), (size_t)nfd * sizeof(int));
		for (int i = 0; i < nfd; i++) {
			if (i == nfd - 1 && c->binary && !c->need_auth)
				pixshm_take(c, fds[i]);
			else
				close(fds[i]);
		}
	}
}

/* Read what C sent into its buffer; returns -1 when the connection broke.
 * End of input (a half-close, as socat does) is not an error: the replies
 * still go out, then the connection closes. */
static int
client_read(struct client *c)
{
	while (!c->eof && c->inlen < sizeof c->in) {
		/* recvmsg: a local client may pass memory for its pictures
		 * (SCM_RIGHTS; screenshot --shm). What else comes with the
		 * bytes is closed. */
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(4 * sizeof(int))];
		} cm;
		struct iovec iov = { c->in + c->inlen, sizeof c->in - c->inlen };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		    .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };
		ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == 0) {
			c->eof = 1;
			break;
		}
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (!c->seen_bytes) {
			unsigned char b = (unsigned char)c->in[0];
			c->seen_bytes = 1;
			/* A NUL first: the binary protocol's opening. */
			c->binary = b == 0 && !c->need_auth;
			if (!c->binary && ((b < 0x20 && b != '\t' && b != '\r' &&
			    b != '\n') || b >= 0x80)) {
				ctl_err(c, ERR_BINARY, "this socket speaks the "
				    "text protocol: one command a line (try "
				    "'help')");
				c->closing = 1;
				take_fds(c, &mh);   /* closed */
				return 0;
			}
		}
		/* After the first byte: whether C is binary is known. */
		take_fds(c, &mh);
		c->inlen += (size_t)n;
	}
	return 0;
}

int
ctl_listen_tcp(char *err, size_t errlen)
{
	char spec[256], *h, *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *res = NULL;

	snprintf(spec, sizeof spec, "%s", shim_cfg.listen);
	/* Loopback unless said otherwise. */
	if (sockpath_hostport(spec, "127.0.0.1", &h, &port) != 0) {
		snprintf(err, errlen, "HOOK_LISTEN=%s: expected HOST:PORT",
		    shim_cfg.listen);
		return -1;
	}
	int r = getaddrinfo(h, port, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "HOOK_LISTEN=%s: %s", shim_cfg.listen,
		    gai_strerror(r));
		return -1;
	}
	tcp_fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	int one = 1;
	if (tcp_fd < 0 ||
	    setsockopt(tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(tcp_fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(tcp_fd, 64) != 0) {
		snprintf(err, errlen, "HOOK_LISTEN=%s: %s", shim_cfg.listen,
		    strerror(errno));
		if (tcp_fd >= 0)
			close(tcp_fd);
		tcp_fd = -1;
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ip[INET6_ADDRSTRLEN] = "?";
	int bound_port = 0;
	if (getsockname(tcp_fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
			bound_port = ntohs(in->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
			bound_port = ntohs(in6->sin6_port);
		}
	}
	snprintf(shim_cfg.listen_bound, sizeof shim_cfg.listen_bound,
	    strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, bound_port);
	return 0;
}

static void
accept_clients(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct ucred cr;
		socklen_t crlen = sizeof cr;
		if (lfd == listen_fd &&
		    (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0 ||
		    cr.uid != getuid())) {
			hlog("refused a connection from uid %d",
			    crlen == sizeof cr ? (int)cr.uid : -1);
			close(fd);
			continue;
		}
		struct client *c = calloc(1, sizeof *c);
		if (c == NULL) {
			close(fd);
			continue;
		}
		cmd_reclaim();   /* a lent client's steps come through us again */
		c->fd = fd;
		c->shm_fd = -1;
		c->need_auth = lfd == tcp_fd;
		c->events = EPOLLIN;
		c->next = ctl.clients;
		ctl.clients = c;
		ctl.nclients++;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* Run what C sent, in its framing. */
static void
take_input(struct client *c)
{
	if (c->binary)
		bin_process(c);
	else
		process_lines(c);
}

/* After any event on C: run what it sent, send, close, or re-arm.
 * Returns 0 if C is gone. */
static int
client_settle(struct client *c)
{
	take_input(c);
	if (c->fast && c->wait == WAIT_STEP && (c->inlen > 0 || c->eof)) {
		/* More to run once the frame thread has replied: have it
		 * wake us, then look again in case it already did. */
		fast_want_notify();
		cmd_progress();
		take_input(c);
	}
	if (c->closing != 2 && flush_out(c) != 0)
		c->closing = 2;
	cmd_maybe_lend(c);
	if (c->eof && c->wait == WAIT_NONE && !c->closing)
		c->closing = 1;   /* all its commands are answered */
	if (c->closing != 2 && flush_out(c) != 0)
		c->closing = 2;
	if (c->closing == 2 || (c->closing && c->outlen == 0)) {
		client_free(c);
		return 0;
	}
	ctl_set_events(c);
	return 1;
}

/* Settle every client (after the frame thread completed something). */
static void
settle_all(void)
{
	struct client *c = ctl.clients, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		client_settle(c);
	}
}

static void
detach_all(void)
{
	cmd_reclaim();
	settle_all();
	while (ctl.clients != NULL)
		client_free(ctl.clients);
	close(listen_fd);
	listen_fd = -1;
	if (tcp_fd >= 0)
		close(tcp_fd);
	tcp_fd = -1;
	ctl_unlink();
	hlog("detached: the game runs on untouched");
}

static void *
ctl_main(void *arg)
{
	struct epoll_event evs[32];
	int efd = frame_notify_fd();

	(void)arg;
	tls_internal = 1;
	/* This thread's stack and malloc arena are the shim's: a snapshot's
	 * load leaves them alone. */
	void *mine = malloc(64);
	snapshot_exclude_my_arena(mine);
	free(mine);
	for (;;) {
		int n = epoll_wait(epoll_fd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			hlog("epoll_wait: %s; control stopped", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &listen_fd || p == &tcp_fd) {
				accept_clients(*(int *)p);
			} else if (p == &epoll_fd) {
				uint64_t v;
				(void)!read(efd, &v, sizeof v);
				cmd_progress();
				settle_all();
			} else {
				struct client *c = p;
				/* Closed by an earlier event of this batch (settling
				 * every client after the frame thread's signal). */
				if (c->gone)
					continue;
				if ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
				    !c->closing && client_read(c) != 0)
					c->closing = 2;
				/* Gone for good (not half-closed): whatever it
				 * waits for is not owed any more. */
				if (evs[i].events & (EPOLLHUP | EPOLLERR))
					c->closing = 2;
				/* A step the frame thread answered itself. */
				cmd_progress();
				client_settle(c);
			}
		}
		if (ctl.detaching)
			detach_all();
		reap_dead();
		if (ctl.detaching)
			return NULL;
	}
}

int
ctl_start(void)
{
	pthread_t t;
	pthread_attr_t attr;
	sigset_t all, old;
	struct epoll_event ev = { .events = EPOLLIN };

	if (listen_fd < 0)
		return -1;
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0) {
		hlog("epoll_create1: %s", strerror(errno));
		return -1;
	}
	ev.data.ptr = &listen_fd;
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
	if (tcp_fd >= 0) {
		ev.data.ptr = &tcp_fd;
		epoll_ctl(epoll_fd, EPOLL_CTL_ADD, tcp_fd, &ev);
	}
	ev.data.ptr = &epoll_fd;
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, frame_notify_fd(), &ev);

	/* The thread starts with every signal blocked, so the game's signals
	 * (SIGWINCH, SIGALRM, ...) always reach the game's own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (snapshot_shim_stack(&attr, SHIM_STACK_SIZE) != 0)
		pthread_attr_setstacksize(&attr, SHIM_STACK_SIZE);
	/* The real one: our own thread is not the game's. */
	int r = real_pthread_create(&t, &attr, ctl_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		hlog("pthread_create: %s", strerror(r));
		return -1;
	}
	pthread_setname_np(t, "gamehook-ctl");
	return 0;
}
