/* benchlib.c: what bench-step and bench-state share (see benchlib.h):
 * messages, the clock, medians and number formatting, whole reads and
 * writes, and the game under test on a pseudo-terminal, driven over its
 * control socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"

extern char **environ;

static const char *prog = "bench";
static void (*at_cleanup)(void);

void
bench_init(const char *name, void (*cleanup)(void))
{
	prog = name;
	at_cleanup = cleanup;
	signal(SIGPIPE, SIG_IGN);
}

void
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	bench_cleanup();
	exit(1);
}

void
bench_cleanup(void)
{
	static int done;

	if (at_cleanup != NULL && !done++)
		at_cleanup();
}

int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double
now(void)
{
	return (double)now_ns() * 1e-9;
}

/* qsort comparison of doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double
median(double *v, size_t n)
{
	if (n == 0)
		return 0.0;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

const char *
commas(double x, char *buf, size_t cap)
{
	char digits[32], *p = buf;
	int n = snprintf(digits, sizeof digits, "%.0f", x < 0 ? 0 : x);

	for (int i = 0; i < n && (size_t)(p - buf) + 2 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			*p++ = ',';
		*p++ = digits[i];
	}
	*p = '\0';
	return buf;
}

/* Write all of BUF to FD (OUT) or read all of it from FD, retrying on
 * EINTR and short counts; 0, or -1 on error or end of file. */
static int
transfer(int fd, char *p, size_t len, int out)
{
	while (len > 0) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	return transfer(fd, (char *)buf, len, 1);
}

int
read_full(int fd, void *buf, size_t len)
{
	return transfer(fd, buf, len, 0);
}

const char *
bench_option(int argc, char **argv, int *i, void (*usage)(FILE *))
{
	const char *a = argv[*i];

	if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
		usage(stdout);
		exit(0);
	}
	if (*i + 1 >= argc)
		bench_usage_error(usage);
	return argv[++*i];
}

void
bench_usage_error(void (*usage)(FILE *))
{
	usage(stderr);
	exit(2);
}

void
bench_header(const char *title, const char *extra)
{
	char date[64];
	time_t t = time(NULL);
	struct utsname u;

	strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof u);
	printf("gamehook bench: %s\n", title);
	printf("  %s, nproc %ld, %s %s %s%s\n", date,
	    sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine,
	    extra);
	fflush(stdout);
}

void
check_game(const char *game, const char *lib, char *libabs)
{
	if (access(game, X_OK) != 0)
		die("game %s: %s (run `make` first, or pass --game PATH)",
		    game, strerror(errno));
	if (realpath(lib, libabs) == NULL)
		die("hook library %s: %s (run `make` first, or pass --lib PATH)",
		    lib, strerror(errno));
}

/* --- the game on a pseudo-terminal ------------------------------------------ */

void
game_make_dir(struct bench_game *g, const char *const *bases, const char *name)
{
	for (size_t i = 0; bases[i] != NULL; i++) {
		snprintf(g->dir, sizeof g->dir, "%s/%s.XXXXXX", bases[i], name);
		if (mkdtemp(g->dir) != NULL)
			break;
		g->dir[0] = '\0';
	}
	if (g->dir[0] == '\0')
		die("mkdtemp: %s", strerror(errno));
	snprintf(g->sock, sizeof g->sock, "%s/bench.sock", g->dir);
	snprintf(g->log, sizeof g->log, "%s/bench.log", g->dir);
}

/* Reader thread: drain the pty master so the game never blocks writing.
 * It naps a millisecond after each read so that it wakes once per batch
 * of the game's output, not once per write (a frame is a few writes, and
 * those extra wakeups cost the 2-CPU test machines some 15-25% of the step
 * rate); the pty buffers far more than a millisecond of screen updates. */
static void *
drain_pty(void *arg)
{
	struct bench_game *g = arg;
	char buf[65536];
	struct pollfd pf[2] = {
		{ .fd = g->master, .events = POLLIN },
		{ .fd = g->stop[0], .events = POLLIN },
	};

	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pf[1].revents)
			return NULL;
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(g->master, buf, sizeof buf);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)	/* cannot happen while we hold the slave */
				return NULL;
			usleep(1000);
		}
	}
}

/* Whether NAME=... is one of the variables the bench sets itself. */
static int
env_overridden(const char *kv)
{
	static const char *const pfx[] = { "LD_PRELOAD=", "TERM=", "HOOK_",
		"GAMEHOOK_", "LINES=", "COLUMNS=" };

	for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++)
		if (strncmp(kv, pfx[i], strlen(pfx[i])) == 0)
			return 1;
	return 0;
}

/* The game's environment: ours minus the hook's variables, plus the
 * bench's and EXTRA; the first *NALLOC entries after ours are allocated. */
static char **
game_env(const struct bench_game *g, const char *libabs,
    const char *const *extra, size_t *from, size_t *nalloc)
{
	size_t n = 0, k = 0, nx = 0;
	while (environ[n] != NULL)
		n++;
	while (extra != NULL && extra[nx] != NULL)
		nx++;
	char **env = calloc(n + nx + 8, sizeof *env);
	if (env == NULL)
		die("out of memory");
	for (size_t i = 0; i < n; i++)
		if (!env_overridden(environ[i]))
			env[k++] = environ[i];
	*from = k;
	if (asprintf(&env[k++], "LD_PRELOAD=%s", libabs) < 0 ||
	    asprintf(&env[k++], "HOOK_SOCKET=%s", g->sock) < 0 ||
	    asprintf(&env[k++], "HOOK_LOG=%s", g->log) < 0)
		die("out of memory");
	for (size_t i = 0; i < nx; i++)
		if ((env[k++] = strdup(extra[i])) == NULL)
			die("out of memory");
	*nalloc = k - *from;
	env[k++] = "HOOK_MODE=lockstep";
	env[k++] = "HOOK_SPEED=max";
	env[k++] = "TERM=xterm";
	env[k] = NULL;
	return env;
}

void
game_start(struct bench_game *g, char *const argv[], const char *libabs,
    const char *const *extra)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	size_t from, nalloc;

	g->inlen = 0;
	unlink(g->sock);
	g->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (g->master < 0 || grantpt(g->master) != 0 ||
	    unlockpt(g->master) != 0)
		die("pseudo-terminal: %s", strerror(errno));
	const char *slave = ptsname(g->master);
	if (slave == NULL)
		die("ptsname: %s", strerror(errno));
	if (ioctl(g->master, TIOCSWINSZ, &ws) != 0)
		die("TIOCSWINSZ: %s", strerror(errno));
	/* Held open here too, so the master never reads EIO (no slave) before
	 * the game has opened it or after it is gone. */
	g->slave = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (g->slave < 0)
		die("%s: %s", slave, strerror(errno));
	char **env = game_env(g, libabs, extra, &from, &nalloc);

	g->pid = fork();
	if (g->pid < 0)
		die("fork: %s", strerror(errno));
	if (g->pid == 0) {
		setsid();
		(void)ioctl(g->slave, TIOCSCTTY, 0);
		if (dup2(g->slave, 0) < 0 || dup2(g->slave, 1) < 0 ||
		    dup2(g->slave, 2) < 0)
			_exit(126);
		execve(argv[0], argv, env);
		_exit(127);
	}
	for (size_t i = from; i < from + nalloc; i++)
		free(env[i]);
	free(env);
	if (pipe2(g->stop, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	if (pthread_create(&g->reader, NULL, drain_pty, g) != 0)
		die("pthread_create failed");
	g->reader_started = 1;
}

/* Print the last lines of the hook's log to stderr, to explain a failure. */
static void
show_log(const struct bench_game *g)
{
	char buf[2048];
	int fd = open(g->log, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: no hook log at %s\n", prog, g->log);
		return;
	}
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof buf - 1, from);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	fprintf(stderr, "%s: the end of the hook log %s:\n%s%s", prog, g->log,
	    buf, buf[n - 1] == '\n' ? "" : "\n");
}

/* Describe how the game ended if it has, for error messages. */
static const char *
game_status(struct bench_game *g, char *buf, size_t cap)
{
	int st;

	if (g->pid <= 0 || waitpid(g->pid, &st, WNOHANG) != g->pid)
		return "";
	g->pid = -1;
	if (WIFEXITED(st))
		snprintf(buf, cap, " (the game exited with status %d)",
		    WEXITSTATUS(st));
	else
		snprintf(buf, cap, " (the game was killed by signal %d)",
		    WTERMSIG(st));
	return buf;
}

void
game_connect(struct bench_game *g)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char why[96];
	double t0 = now();

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", g->sock);
	for (;;) {
		struct stat stb;
		if (stat(g->sock, &stb) == 0 && S_ISSOCK(stb.st_mode)) {
			g->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (g->fd < 0)
				die("socket: %s", strerror(errno));
			if (connect(g->fd, (struct sockaddr *)&sa, sizeof sa) == 0)
				return;
			close(g->fd);
			g->fd = -1;
		}
		const char *st = game_status(g, why, sizeof why);
		if (st[0] || now() - t0 > 10.0) {
			show_log(g);
			die("no control socket at %s after %.1f s%s", g->sock,
			    now() - t0, st);
		}
		usleep(10000);
	}
}

/* With a time limit, wait up to a second for a reply to read: 1 when
 * there is one, 0 when not yet (dies once the limit is past, counted from
 * T0). Without, 1 at once: the read blocks, and the step rate is not
 * slowed by a poll a request. */
static int
reply_ready(struct bench_game *g, const char *cmd, size_t len, double t0)
{
	char why[96];

	if (g->reply_secs <= 0)
		return 1;
	struct pollfd pf = { .fd = g->fd, .events = POLLIN };
	int pr = poll(&pf, 1, 1000);
	if (pr < 0 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if (pr > 0)
		return 1;
	if (now() - t0 > g->reply_secs) {
		show_log(g);
		die("no reply to %.*s in %g s%s", (int)len - 1, cmd,
		    g->reply_secs, game_status(g, why, sizeof why));
	}
	return 0;
}

void
game_request(struct bench_game *g, const char *cmd, size_t len, char *line,
    size_t cap)
{
	char why[96];
	double t0 = g->reply_secs > 0 ? now() : 0;

	if (write_all(g->fd, cmd, len) != 0)
		die("sending to the game: %s%s", strerror(errno),
		    game_status(g, why, sizeof why));
	for (;;) {
		char *nl = memchr(g->in, '\n', g->inlen);
		if (nl != NULL) {
			size_t n = (size_t)(nl - g->in) + 1;
			size_t c = n < cap ? n : cap - 1;
			memcpy(line, g->in, c);
			line[c] = '\0';
			memmove(g->in, g->in + n, g->inlen - n);
			g->inlen -= n;
			return;
		}
		if (g->inlen == sizeof g->in)
			die("reply line longer than %zu bytes", sizeof g->in);
		if (!reply_ready(g, cmd, len, t0))
			continue;
		ssize_t r = read(g->fd, g->in + g->inlen,
		    sizeof g->in - g->inlen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			const char *st = game_status(g, why, sizeof why);
			show_log(g);
			die("the control socket closed%s", st);
		}
		g->inlen += (size_t)r;
	}
}

/* Wait up to SECS for the game to exit; 1 if it has. */
static int
reap(struct bench_game *g, double secs)
{
	double t0 = now();

	while (g->pid > 0) {
		if (waitpid(g->pid, NULL, WNOHANG) == g->pid) {
			g->pid = -1;
			return 1;
		}
		if (now() - t0 > secs)
			return 0;
		usleep(5000);
	}
	return 1;
}

void
game_stop(struct bench_game *g, int quit)
{
	char line[256];

	if (g->fd >= 0) {
		if (quit) {
			(void)!write(g->fd, "quit\n", 5);
			struct pollfd pf = { .fd = g->fd, .events = POLLIN };
			if (poll(&pf, 1, 500) > 0)
				(void)!read(g->fd, line, sizeof line);
		}
		close(g->fd);
		g->fd = -1;
	}
	if (g->pid > 0) {
		kill(-g->pid, SIGTERM);	/* the game leads its own session */
		kill(g->pid, SIGTERM);
		if (!reap(g, 2.0)) {
			kill(-g->pid, SIGKILL);
			kill(g->pid, SIGKILL);
			reap(g, 5.0);
		}
	}
	if (g->reader_started) {
		(void)!write(g->stop[1], "x", 1);
		pthread_join(g->reader, NULL);
		g->reader_started = 0;
	}
	for (int i = 0; i < 2; i++)
		if (g->stop[i] >= 0) {
			close(g->stop[i]);
			g->stop[i] = -1;
		}
	if (g->slave >= 0)
		close(g->slave);
	if (g->master >= 0)
		close(g->master);
	g->slave = g->master = -1;
}

void
game_remove_dir(struct bench_game *g)
{
	if (g->dir[0] == '\0')
		return;
	unlink(g->sock);
	unlink(g->log);
	if (rmdir(g->dir) != 0)
		fprintf(stderr, "%s: could not remove %s: %s\n", prog,
		    g->dir, strerror(errno));
}
