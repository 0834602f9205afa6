/* A private X server for one game, and the keeper that ends it with the
 * game (see headless.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "headless.h"
#include "sockpath.h"

#define XVFB_SCREEN "1280x1024x24"
#define START_MS 30000        /* for Xvfb to say its display */
#define GRACE_MS 5000         /* for Xvfb to end on SIGTERM */

static int
pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void
put_all(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* A private directory (0700) holding a fresh cookie, as an Xauthority
 * file whose one entry fits any host and display: 0, or -1 with WHY. */
static int
make_auth(char *dir, char *auth, char *why, size_t wlen)
{
	char base[PATH_MAX - 32];
	struct stat st;

	if (sockpath_dir(base, sizeof base) != 0) {
		snprintf(why, wlen, "the runtime directory's path is too long");
		return -1;
	}
	if (mkdir(base, 0700) != 0 && errno != EEXIST) {
		snprintf(why, wlen, "%s: %s", base, strerror(errno));
		return -1;
	}
	if (lstat(base, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid()) {
		snprintf(why, wlen, "%s is not a directory of ours", base);
		return -1;
	}
	snprintf(dir, PATH_MAX, "%s/xvfb-XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		snprintf(why, wlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(auth, PATH_MAX, "%s/xauthority", dir);
	unsigned char cookie[16], ent[64];
	size_t n = 0;
	if (getrandom(cookie, sizeof cookie, 0) != sizeof cookie) {
		snprintf(why, wlen, "getrandom: %s", strerror(errno));
		rmdir(dir);
		return -1;
	}
	/* family FamilyWild, empty address and display number: any */
	ent[n++] = 0xff, ent[n++] = 0xff;
	ent[n++] = 0, ent[n++] = 0;
	ent[n++] = 0, ent[n++] = 0;
	ent[n++] = 0, ent[n++] = 18;
	memcpy(ent + n, "MIT-MAGIC-COOKIE-1", 18), n += 18;
	ent[n++] = 0, ent[n++] = sizeof cookie;
	memcpy(ent + n, cookie, sizeof cookie), n += sizeof cookie;
	int fd = open(auth, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, ent, n) != (ssize_t)n || close(fd) != 0) {
		snprintf(why, wlen, "%s: %s", auth, strerror(errno));
		unlink(auth);
		rmdir(dir);
		return -1;
	}
	return 0;
}

/* The last line Xvfb wrote to LOG, into WHY. */
static void
log_tail(const char *log, char *why, size_t wlen)
{
	char buf[4096];
	int fd = open(log, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(why, wlen, "no message");
		return;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	char *last = strrchr(buf, '\n');
	snprintf(why, wlen, "%s", last ? last + 1 : buf);
}

/* End the server X (SIGTERM, then SIGKILL after a grace) and remove the
 * private directory. */
static void
stop_server(pid_t x, int xfd, const char *dir, const char *auth,
    const char *log)
{
	kill(x, SIGTERM);
	struct pollfd p = { .fd = xfd, .events = POLLIN };
	if (xfd < 0 || poll(&p, 1, GRACE_MS) <= 0)
		kill(x, SIGKILL);
	while (waitpid(x, NULL, 0) < 0 && errno == EINTR)
		;
	unlink(auth);
	unlink(log);
	rmdir(dir);
}

/* Read a line from FD into BUF while watching the server's XFD and the
 * signal descriptor SFD: 1 a line, 0 end of file, -1 the server ended, -2
 * a signal, -3 out of time (TIMEOUT ms; -1: none). */
static int
read_line(int fd, int xfd, int sfd, char *buf, size_t len, int timeout)
{
	size_t have = 0;
	for (;;) {
		struct pollfd p[3] = { { .fd = fd, .events = POLLIN },
			{ .fd = xfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN } };
		int r = poll(p, 3, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -3;
		if (p[2].revents)
			return -2;
		if (p[0].revents) {
			ssize_t n = read(fd, buf + have, len - 1 - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return 0;
			have += (size_t)n;
			buf[have] = '\0';
			if (memchr(buf, '\n', have) != NULL || have == len - 1)
				return 1;
			continue;
		}
		if (p[1].revents)
			return -1;
	}
}

int
headless_keeper(int in, int out)
{
	char dir[PATH_MAX], auth[PATH_MAX], log[PATH_MAX + 16];
	char why[PATH_MAX + 128], line[PATH_MAX + 64];
	sigset_t ss;

	prctl(PR_SET_NAME, "gamehook-xvfb");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	/* SIGTERM ends the server first, then the keeper. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC);
	if (make_auth(dir, auth, why, sizeof why) != 0) {
		snprintf(line, sizeof line, "err %s\n", why);
		put_all(out, line);
		return 1;
	}
	snprintf(log, sizeof log, "%s/xvfb.log", dir);
	int dfd[2];
	if (pipe2(dfd, O_CLOEXEC) != 0) {
		snprintf(line, sizeof line, "err pipe: %s\n", strerror(errno));
		put_all(out, line);
		unlink(auth);
		rmdir(dir);
		return 1;
	}
	pid_t keeper = getpid();
	pid_t x = fork();
	if (x == 0) {
		/* The server dies with its keeper, however the keeper ends. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != keeper)
			_exit(1);
		sigprocmask(SIG_UNBLOCK, &ss, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		int lg = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(lg >= 0 ? lg : nul, 2);
		/* The server holds nothing of ours but where it says its
		 * display: descriptor 3. */
		if (dfd[1] != 3 && dup2(dfd[1], 3) < 0)
			_exit(127);
		fcntl(3, F_SETFD, 0);
		syscall(SYS_close_range, 4U, ~0U, 0U);
		const char *fdarg = "3";
		execlp("Xvfb", "Xvfb", "-displayfd", fdarg, "-auth", auth,
		    "-nolisten", "tcp", "-noreset", "-screen", "0", XVFB_SCREEN,
		    (char *)NULL);
		_exit(127);
	}
	close(dfd[1]);
	if (x < 0) {
		snprintf(line, sizeof line, "err fork: %s\n", strerror(errno));
		put_all(out, line);
		close(dfd[0]);
		unlink(auth);
		rmdir(dir);
		return 1;
	}
	int xfd = pidfd_of(x);
	char num[32];
	int r = read_line(dfd[0], xfd, sfd, num, sizeof num, START_MS);
	close(dfd[0]);
	char *end = NULL;
	long n = r == 1 ? strtol(num, &end, 10) : -1;
	if (r != 1 || end == num || (*end != '\n' && *end != '\0') || n < 0) {
		int st = 0;
		if (r != -3 && r != -2 && waitpid(x, &st, 0) == x &&
		    WIFEXITED(st) && WEXITSTATUS(st) == 127)
			snprintf(why, sizeof why, "Xvfb: not found in PATH "
			    "(headless games need Debian's xvfb package)");
		else if (r == -3)
			snprintf(why, sizeof why, "Xvfb gave no display in %d s",
			    START_MS / 1000);
		else
			log_tail(log, why, sizeof why);
		snprintf(line, sizeof line, "err Xvfb did not start: %s\n", why);
		put_all(out, line);
		stop_server(x, xfd, dir, auth, log);
		return 1;
	}
	snprintf(line, sizeof line, "ok :%ld %s\n", n, auth);
	put_all(out, line);

	/* The game's pid, then the game's end (or the server's, or ours). */
	char pidl[32];
	r = read_line(in, xfd, sfd, pidl, sizeof pidl, -1);
	long game = r == 1 ? strtol(pidl, &end, 10) : 0;
	int gfd = game > 0 ? pidfd_of((pid_t)game) : -1;
	while (gfd >= 0) {
		struct pollfd p[3] = { { .fd = gfd, .events = POLLIN },
			{ .fd = xfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN } };
		if (poll(p, 3, -1) < 0 && errno == EINTR)
			continue;
		if (p[0].revents || p[1].revents || p[2].revents)
			break;
	}
	stop_server(x, xfd, dir, auth, log);
	return 0;
}

int
headless_start(struct headless *h, char *err, size_t errlen)
{
	int to[2], from[2];

	h->keeper = -1;
	h->to_keeper = -1;
	/* A socket to the keeper: a keeper gone is EPIPE, not SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (pipe2(from, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(to[0]);
		close(to[1]);
		return -1;
	}
	pid_t k = fork();
	if (k == 0) {
		/* A session of its own: a terminal's signals to the launcher
		 * do not reach it; only the game's end ends it. */
		setsid();
		int nul = open("/dev/null", O_RDWR);
		if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0 ||
		    dup2(nul, 2) < 0)
			_exit(1);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		_exit(headless_keeper(0, 1));
	}
	close(to[0]);
	close(from[1]);
	if (k < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(to[1]);
		close(from[0]);
		return -1;
	}
	char line[PATH_MAX + 64];
	size_t have = 0;
	ssize_t n;
	while (have < sizeof line - 1 &&
	    (n = read(from[0], line + have, sizeof line - 1 - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		have += (size_t)n;
		if (memchr(line, '\n', have) != NULL)
			break;
	}
	close(from[0]);
	line[have] = '\0';
	line[strcspn(line, "\n")] = '\0';
	char *sp = strchr(line + 3, ' ');
	if (strncmp(line, "ok :", 4) != 0 || sp == NULL) {
		snprintf(err, errlen, "%s", strncmp(line, "err ", 4) == 0 ?
		    line + 4 : "the X server's keeper ended without a display");
		close(to[1]);
		while (waitpid(k, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	*sp = '\0';
	snprintf(h->display, sizeof h->display, "%s", line + 3);
	snprintf(h->xauthority, sizeof h->xauthority, "%s", sp + 1);
	h->keeper = k;
	h->to_keeper = to[1];
	return 0;
}

void
headless_watch(struct headless *h, pid_t game)
{
	char buf[32];
	if (h->to_keeper < 0)
		return;
	int n = snprintf(buf, sizeof buf, "%d\n", (int)game);
	(void)!send(h->to_keeper, buf, (size_t)n, MSG_NOSIGNAL);
	close(h->to_keeper);
	h->to_keeper = -1;
}

void
headless_abort(struct headless *h)
{
	if (h->to_keeper >= 0)
		close(h->to_keeper);
	h->to_keeper = -1;
}

int
headless_wait(struct headless *h)
{
	if (h->keeper <= 0)
		return 0;
	int r;
	while ((r = (int)waitpid(h->keeper, NULL, 0)) < 0 && errno == EINTR)
		;
	h->keeper = -1;
	return r < 0 ? -1 : 0;
}
