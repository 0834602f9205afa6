/* bench-step.c: how fast a client can drive a game in lockstep over the
 * text control protocol, against what the machine can do at all.
 *
 *  1. Baseline: two processes ping-pong a "step\n" / "ok 1\n" sized
 *     message over a Unix SOCK_STREAM socketpair; round trips a second.
 *  2. The demo game (or --game PATH) under build/libhook.so (or --lib PATH)
 *     with HOOK_MODE=lockstep HOOK_SPEED=max, on a pseudo-terminal of its
 *     own that a thread keeps drained: "step\n" -> "ok <frame>\n" round
 *     trips a second over the control socket, then "step 10" (frames a
 *     second).
 *
 * Baseline and step rounds alternate; each figure is the median of its
 * rounds, and the ratio the median of the rounds' ratios; the machines are
 * shared and noisy, so the ratio step/ping-pong is what to compare. The
 * goal is a ratio of at least 0.30; the exit status is 0 whether or not
 * it is met, and non-zero only when something failed to run. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
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

#define GOAL 0.30
#define MAX_ROUNDS 32

extern char **environ;

static struct {
	const char *game;
	const char *lib;
	int pp_rounds;
	double pp_secs;
	int step_rounds;
	double step_secs;
} opt = {
	.game = "build/demo-game",
	.lib = "build/libhook.so",
	.pp_rounds = 5,
	.pp_secs = 0.5,
	.step_rounds = 7,
	.step_secs = 1.0,
};

/* The game under test and what belongs to it, for cleanup. */
static struct {
	char dir[64];
	char sock[128];
	char log[128];
	pid_t pid;
	int master;
	int slave;
	int stop[2];
	int reader_started;
	pthread_t reader;
	int fd;
	char in[4096];
	size_t inlen;
} g = { .pid = -1, .master = -1, .slave = -1, .stop = { -1, -1 }, .fd = -1 };

static void cleanup(void);

/* Print an error to stderr and exit non-zero (after cleaning up). */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-step: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

/* Monotonic time in seconds. */
static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* qsort comparison of doubles. */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of N values (sorts them in place). */
static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* Format a rate as an integer with thousands separators. */
static const char *
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

/* Write all of BUF, retrying on EINTR and short writes; 0 or -1. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly LEN bytes; 0, or -1 on error or end of file. */
static int
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The ping-pong peer: answer every "step\n" with "ok 1\n" until EOF. */
static void __attribute__((noreturn))
pong(int fd)
{
	char buf[5];

	while (read_full(fd, buf, sizeof buf) == 0)
		if (write_all(fd, "ok 1\n", 5) != 0)
			break;
	_exit(0);
}

/* One ping-pong round with a fresh peer process: round trips a second. */
static double
pingpong_round(double secs)
{
	int sv[2];
	char buf[5];
	long n = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		die("socketpair: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(sv[0]);
		pong(sv[1]);
	}
	close(sv[1]);
	for (int i = 0; i < 1000; i++)	/* warm up */
		if (write_all(sv[0], "step\n", 5) || read_full(sv[0], buf, 5))
			die("ping-pong peer went away");
	double t0 = now(), t;
	do {
		if (write_all(sv[0], "step\n", 5) || read_full(sv[0], buf, 5))
			die("ping-pong peer went away");
		n++;
	} while ((t = now()) - t0 < secs);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return (double)n / (t - t0);
}


/* Reader thread: drain the pty master so the game never blocks writing.
 * It naps a millisecond after each read so that it wakes once per batch
 * of the game's output, not once per write (a frame is a few writes, and
 * those extra wakeups cost the 2-CPU test machines some 15-25% of the step
 * rate); the pty buffers far more than a millisecond of screen updates. */
static void *
drain_pty(void *arg)
{
	char buf[65536];
	struct pollfd pf[2] = {
		{ .fd = g.master, .events = POLLIN },
		{ .fd = g.stop[0], .events = POLLIN },
	};

	(void)arg;
	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pf[1].revents)
			return NULL;
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(g.master, buf, sizeof buf);
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

/* The game's environment: ours minus the hook's variables, plus the bench's. */
static char **
game_env(const char *libabs)
{
	size_t n = 0, k = 0;
	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 8, sizeof *env);
	if (env == NULL)
		die("out of memory");
	for (size_t i = 0; i < n; i++)
		if (!env_overridden(environ[i]))
			env[k++] = environ[i];
	if (asprintf(&env[k++], "LD_PRELOAD=%s", libabs) < 0 ||
	    asprintf(&env[k++], "HOOK_SOCKET=%s", g.sock) < 0 ||
	    asprintf(&env[k++], "HOOK_LOG=%s", g.log) < 0)
		die("out of memory");
	env[k++] = "HOOK_MODE=lockstep";
	env[k++] = "HOOK_SPEED=max";
	env[k++] = "TERM=xterm";
	env[k] = NULL;
	return env;
}

/* Check the game and the hook library are there; LIBABS gets the
 * library's absolute path (LD_PRELOAD must not depend on the cwd). */
static void
check_paths(char *libabs)
{
	if (access(opt.game, X_OK) != 0)
		die("game %s: %s (run `make` first, or pass --game PATH)",
		    opt.game, strerror(errno));
	if (realpath(opt.lib, libabs) == NULL)
		die("hook library %s: %s (run `make` first, or pass --lib PATH)",
		    opt.lib, strerror(errno));
}

/* Start the game under the hook on a fresh 80x24 pseudo-terminal. */
static void
start_game(void)
{
	char libabs[PATH_MAX];
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };

	check_paths(libabs);
	snprintf(g.dir, sizeof g.dir, "/tmp/gamehook-bench.XXXXXX");
	if (mkdtemp(g.dir) == NULL) {
		g.dir[0] = '\0';
		die("mkdtemp: %s", strerror(errno));
	}
	snprintf(g.sock, sizeof g.sock, "%s/bench.sock", g.dir);
	snprintf(g.log, sizeof g.log, "%s/bench.log", g.dir);

	g.master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (g.master < 0 || grantpt(g.master) != 0 || unlockpt(g.master) != 0)
		die("pseudo-terminal: %s", strerror(errno));
	const char *slave = ptsname(g.master);
	if (slave == NULL)
		die("ptsname: %s", strerror(errno));
	if (ioctl(g.master, TIOCSWINSZ, &ws) != 0)
		die("TIOCSWINSZ: %s", strerror(errno));
	/* Held open here too, so the master never reads EIO (no slave) before
	 * the game has opened it or after it is gone. */
	g.slave = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (g.slave < 0)
		die("%s: %s", slave, strerror(errno));
	char **env = game_env(libabs);
	char *argv[] = { (char *)opt.game, NULL };

	g.pid = fork();
	if (g.pid < 0)
		die("fork: %s", strerror(errno));
	if (g.pid == 0) {
		setsid();
		(void)ioctl(g.slave, TIOCSCTTY, 0);
		if (dup2(g.slave, 0) < 0 || dup2(g.slave, 1) < 0 ||
		    dup2(g.slave, 2) < 0)
			_exit(126);
		execve(opt.game, argv, env);
		_exit(127);
	}
	if (pipe2(g.stop, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	if (pthread_create(&g.reader, NULL, drain_pty, NULL) != 0)
		die("pthread_create failed");
	g.reader_started = 1;
}

/* Print the last lines of the hook's log to stderr, to explain a failure. */
static void
show_log(void)
{
	char buf[2048];
	int fd = open(g.log, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "bench-step: no hook log at %s\n", g.log);
		return;
	}
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof buf - 1, from);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	fprintf(stderr, "bench-step: the end of the hook log %s:\n%s%s", g.log,
	    buf, buf[n - 1] == '\n' ? "" : "\n");
}

/* Describe how the game ended if it has, for error messages. */
static const char *
game_status(char *buf, size_t cap)
{
	int st;

	if (g.pid <= 0 || waitpid(g.pid, &st, WNOHANG) != g.pid)
		return "";
	g.pid = -1;
	if (WIFEXITED(st))
		snprintf(buf, cap, " (the game exited with status %d)",
		    WEXITSTATUS(st));
	else
		snprintf(buf, cap, " (the game was killed by signal %d)",
		    WTERMSIG(st));
	return buf;
}

/* Wait up to 10 s for the control socket, then connect to it. */
static void
connect_game(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char why[96];
	double t0 = now();

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", g.sock);
	for (;;) {
		struct stat stb;
		if (stat(g.sock, &stb) == 0 && S_ISSOCK(stb.st_mode)) {
			g.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (g.fd < 0)
				die("socket: %s", strerror(errno));
			if (connect(g.fd, (struct sockaddr *)&sa, sizeof sa) == 0)
				return;
			close(g.fd);
			g.fd = -1;
		}
		const char *st = game_status(why, sizeof why);
		if (st[0] || now() - t0 > 10.0) {
			show_log();
			die("no control socket at %s after %.1f s%s", g.sock,
			    now() - t0, st);
		}
		usleep(10000);
	}
}

/* Send CMD (a full line) and read one reply line into LINE. */
static void
request(const char *cmd, size_t len, char *line, size_t cap)
{
	char why[96];

	if (write_all(g.fd, cmd, len) != 0)
		die("sending to the game: %s%s", strerror(errno),
		    game_status(why, sizeof why));
	for (;;) {
		char *nl = memchr(g.in, '\n', g.inlen);
		if (nl != NULL) {
			size_t n = (size_t)(nl - g.in) + 1;
			size_t c = n < cap ? n : cap - 1;
			memcpy(line, g.in, c);
			line[c] = '\0';
			memmove(g.in, g.in + n, g.inlen - n);
			g.inlen -= n;
			return;
		}
		if (g.inlen == sizeof g.in)
			die("reply line longer than %zu bytes", sizeof g.in);
		ssize_t r = read(g.fd, g.in + g.inlen, sizeof g.in - g.inlen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			const char *st = game_status(why, sizeof why);
			show_log();
			die("the control socket closed%s", st);
		}
		g.inlen += (size_t)r;
	}
}

/* Send a step command and check the reply is "ok <frame>"; the frame. */
static long long
step(const char *cmd, size_t len)
{
	char line[256], *end;

	request(cmd, len, line, sizeof line);
	if (strncmp(line, "ok ", 3) != 0)
		die("%.*s: unexpected reply: %s", (int)len - 1, cmd, line);
	long long f = strtoll(line + 3, &end, 10);
	if (end == line + 3 || *end != '\n')
		die("%.*s: unexpected reply: %s", (int)len - 1, cmd, line);
	return f;
}

/* One timed round of CMD round trips: the rate a second. Checks the frame
 * advances by FRAMES a step; *LAST carries the frame between rounds. */
static double
step_round(const char *cmd, int frames, long long *last)
{
	size_t len = strlen(cmd);
	long n = 0;
	double t0 = now(), t;

	do {
		long long f = step(cmd, len);
		if (f != *last + frames)
			die("%.*s: frame went from %lld to %lld",
			    (int)len - 1, cmd, *last, f);
		*last = f;
		n++;
	} while ((t = now()) - t0 < opt.step_secs);
	return (double)n / (t - t0);
}

/* Warm CMD up; returns the frame reached. */
static long long
step_warm(const char *cmd)
{
	size_t len = strlen(cmd);
	long long last = step(cmd, len);

	for (int i = 0; i < 200; i++)
		last = step(cmd, len);
	return last;
}

/* Wait up to SECS for the game to exit; 1 if it has. */
static int
reap(double secs)
{
	double t0 = now();

	while (g.pid > 0) {
		if (waitpid(g.pid, NULL, WNOHANG) == g.pid) {
			g.pid = -1;
			return 1;
		}
		if (now() - t0 > secs)
			return 0;
		usleep(5000);
	}
	return 1;
}

/* Say goodbye, stop the game and its reader, remove the temporary dir. */
static void
cleanup(void)
{
	static int done;
	char line[256];

	if (done++)
		return;
	if (g.fd >= 0) {
		(void)!write(g.fd, "quit\n", 5);
		struct pollfd pf = { .fd = g.fd, .events = POLLIN };
		if (poll(&pf, 1, 500) > 0)
			(void)!read(g.fd, line, sizeof line);
		close(g.fd);
		g.fd = -1;
	}
	if (g.pid > 0) {
		kill(-g.pid, SIGTERM);	/* the game leads its own session */
		kill(g.pid, SIGTERM);
		if (!reap(2.0)) {
			kill(-g.pid, SIGKILL);
			kill(g.pid, SIGKILL);
			reap(5.0);
		}
	}
	if (g.reader_started) {
		(void)!write(g.stop[1], "x", 1);
		pthread_join(g.reader, NULL);
		g.reader_started = 0;
	}
	if (g.slave >= 0)
		close(g.slave);
	if (g.master >= 0)
		close(g.master);
	if (g.dir[0]) {
		unlink(g.sock);
		unlink(g.log);
		if (rmdir(g.dir) != 0)
			fprintf(stderr, "bench-step: could not remove %s: %s\n",
			    g.dir, strerror(errno));
	}
}

/* Print the usage to F. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: bench-step [--game PATH] [--lib PATH] [--rounds N]\n"
	    "\n"
	    "Measures lockstep `step` round trips over gamehook's control\n"
	    "socket against a plain socketpair ping-pong. Run from the repo\n"
	    "root (the defaults are build/demo-game and build/libhook.so).\n"
	    "\n"
	    "  --game PATH   the program to drive (default build/demo-game)\n"
	    "  --lib PATH    the hook library (default build/libhook.so)\n"
	    "  --rounds N    timed rounds per figure, 1-%d (default 5)\n",
	    MAX_ROUNDS);
}

/* Parse the command line into opt. */
static void
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc)
			goto bad;
		if (strcmp(a, "--game") == 0) {
			opt.game = argv[++i];
		} else if (strcmp(a, "--lib") == 0) {
			opt.lib = argv[++i];
		} else if (strcmp(a, "--rounds") == 0) {
			char *end;
			long n = strtol(argv[++i], &end, 10);
			if (*end || n < 1 || n > MAX_ROUNDS)
				goto bad;
			opt.pp_rounds = opt.step_rounds = (int)n;
		} else {
			goto bad;
		}
	}
	return;
bad:
	usage(stderr);
	exit(2);
}

/* Print the date, the number of CPUs and the kernel. */
static void
header(void)
{
	char date[64];
	time_t t = time(NULL);
	struct utsname u;

	strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof u);
	printf("gamehook bench: lockstep step round trips (text protocol)\n");
	printf("  %s, nproc %ld, %s %s %s\n", date,
	    sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	char a[32], b[32], libabs[PATH_MAX];

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	check_paths(libabs);	/* fail before the timed part, not after */
	header();

	/* Baseline and step rounds alternate, and the ratio is taken round by
	 * round: the shared machine's load (and where the scheduler puts a
	 * ping-pong pair) then weighs on both figures alike. */
	double pp_r[MAX_ROUNDS], s1_r[MAX_ROUNDS], ratio_r[MAX_ROUNDS];
	double s10_r[MAX_ROUNDS];
	int rounds = opt.step_rounds;

	start_game();
	connect_game();
	long long last = step_warm("step\n");
	for (int r = 0; r < rounds; r++) {
		pp_r[r] = pingpong_round(opt.pp_secs);
		s1_r[r] = step_round("step\n", 1, &last);
		ratio_r[r] = pp_r[r] > 0 ? s1_r[r] / pp_r[r] : 0.0;
	}
	last = step_warm("step 10\n");
	for (int r = 0; r < rounds; r++)
		s10_r[r] = step_round("step 10\n", 10, &last);
	cleanup();

	double pp = median(pp_r, rounds), s1 = median(s1_r, rounds);
	double ratio = median(ratio_r, rounds), s10 = median(s10_r, rounds);
	printf("  socketpair ping-pong (baseline)  %9s rt/s  (median of %d)\n",
	    commas(pp, a, sizeof a), rounds);
	printf("  step 1 over the control socket   %9s rt/s  (median of %d)\n",
	    commas(s1, a, sizeof a), rounds);
	printf("  ratio (median of round ratios)   %9.2f       goal >= %.2f  %s\n",
	    ratio, GOAL, ratio >= GOAL ? "PASS" : "BELOW");
	printf("  step 10                          %9s frames/s  (%s rt/s)\n",
	    commas(s10 * 10, a, sizeof a), commas(s10, b, sizeof b));
	return 0;
}
