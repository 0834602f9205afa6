/* `hookctl run`: start a game under the shim, wait for the shim's
 * handshake, and say clearly when the shim could not load. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/launch.h"
#include "../common/libpath.h"
#include "hookctl.h"

struct launch_opts {
	int lockstep, background, copy, no_pty, headless;
	const char *pty;              /* --pty COLSxROWS */
	const char *speed, *frame, *keyboard, *socket, *log, *target, *output;
	const char *trace, *layout, *keyframe, *seed;
	double timeout;
	char **argv;
	char *set[64], *unset[64];    /* --env, --unset; NULL-terminated */
	int nset, nunset;
};

/* Refuse, with the reason, binaries LD_PRELOAD cannot enter. A set-id one
 * is refused unless COPY: then its path goes to SETID (PATH_MAX). */
static void
precheck(const char *game, int copy, char *setid)
{
	char path[PATH_MAX];
	struct stat st;
	char magic[4] = { 0 };

	char err[PATH_MAX + 64];
	extern char **environ;

	if (launch_resolve(game, environ, NULL, path, sizeof path, err,
	    sizeof err) != 0)
		fatal("%s", err);
	if (stat(path, &st) != 0)
		fatal("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0)
		fatal("%s: not an executable file", path);
	setid[0] = '\0';
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		if (!copy)
			fatal("%s is set-id: the loader ignores LD_PRELOAD for it "
			    "(--copy runs a private copy without the set-id bit)",
			    path);
		snprintf(setid, PATH_MAX, "%s", path);
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fatal("%s: %s", path, strerror(errno));
	if (read(fd, magic, 4) == 4 && magic[0] == '#' && magic[1] == '!') {
		close(fd);
		return;   /* a script: its interpreter loads the shim */
	}
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	if (e == NULL || elf_kind(e) != ELF_K_ELF || gelf_getehdr(e, &eh) == NULL)
		fatal("%s: not an ELF executable or script", path);
#if defined(__x86_64__)
	const int machine = EM_X86_64;
#elif defined(__aarch64__)
	const int machine = EM_AARCH64;
#else
	const int machine = eh.e_machine;
#endif
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != machine)
		fatal("%s is built for another architecture (ELF machine %d, "
		    "class %d): the shim cannot load into it", path,
		    eh.e_machine, eh.e_ident[EI_CLASS]);
	size_t nph = 0;
	int dynamic = 0;
	elf_getphdrnum(e, &nph);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) != NULL && ph.p_type == PT_INTERP)
			dynamic = 1;
	}
	elf_end(e);
	close(fd);
	if (!dynamic)
		fatal("%s is statically linked: LD_PRELOAD cannot work with it",
		    path);
}

/* NAME=VALUE into the next of HOOK's slots, when VALUE is given. */
static void
add_hook(char **hook, char (*buf)[PATH_MAX + 32], int *n, const char *name,
    const char *value)
{
	if (value == NULL)
		return;
	snprintf(buf[*n], sizeof buf[*n], "%s=%s", name, value);
	hook[*n] = buf[*n];
	(*n)++;
}

/* A private copy of the set-id program PATH, without the bit, in the
 * user's gamehook directory: its path into OUT (PATH_MAX). */
static void
private_copy(const char *path, char *out)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	const char *rt = getenv("XDG_RUNTIME_DIR");
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;

	if (rt != NULL && rt[0] == '/')
		snprintf(dir, sizeof dir, "%s/gamehook", rt);
	else
		snprintf(dir, sizeof dir, "/tmp/gamehook-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		fatal("--copy: %s: %s", dir, strerror(errno));
	struct stat st;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
		fatal("--copy: %s is not a directory of ours", dir);
	strncat(dir, "/copies", sizeof dir - strlen(dir) - 1);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		fatal("--copy: %s: %s", dir, strerror(errno));
	snprintf(out, PATH_MAX, "%s/%s", dir, base);
	snprintf(tmp, sizeof tmp, "%s.%d", out, (int)getpid());
	int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		fatal("--copy: %s: %s (a set-id game may be unreadable to you)",
		    path, strerror(errno));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (fd < 0)
		fatal("--copy: %s: %s", tmp, strerror(errno));
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			fatal("--copy: writing %s: %s", tmp, strerror(errno));
	if (n < 0 || close(fd) != 0)
		fatal("--copy: %s: %s", path, strerror(errno));
	close(in);
	if (rename(tmp, out) != 0)
		fatal("--copy: %s: %s", out, strerror(errno));
}

/* Copy the game's terminal output from MASTER to OUT until the game closes
 * it (EIO at the last close of the slave). */
static void
relay_output(int master, int out)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read(master, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;   /* the output went: keep draining */
			off += w;
		}
	}
}

static int
exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int
launch_main(int argc, char **argv)
{
	struct launch_opts o = { .timeout = 10.0 };
	char shim[PATH_MAX];
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name, field) \
		if (strcmp(a, name) == 0) { \
			if (v == NULL) fatal("run: %s needs a value", a); \
			o.field = v; i++; continue; }
		OPT("--speed", speed)
		OPT("--frame", frame)
		OPT("--keyboard", keyboard)
		OPT("-s", socket)
		OPT("--socket", socket)
		OPT("--log", log)
		OPT("--target", target)
		OPT("--output", output)
		OPT("--trace", trace)
		OPT("--layout", layout)
		OPT("--keyframe", keyframe)
		OPT("--seed", seed)
		OPT("--pty", pty)
#undef OPT
		if (strcmp(a, "--env") == 0 || strcmp(a, "--unset") == 0) {
			int env = strcmp(a, "--env") == 0;
			if (v == NULL || (env && (strchr(v, '=') == NULL ||
			    v[0] == '=')) || (!env && (v[0] == '\0' ||
			    strchr(v, '=') != NULL)))
				fatal("run: %s takes %s", a, env ? "NAME=VALUE" :
				    "a NAME");
			if ((env ? o.nset : o.nunset) == 63)
				fatal("run: at most 63 %s", a);
			if (env)
				o.set[o.nset++] = argv[++i];
			else
				o.unset[o.nunset++] = argv[++i];
		} else if (strcmp(a, "--lockstep") == 0) {
			o.lockstep = 1;
		} else if (strcmp(a, "--copy") == 0) {
			o.copy = 1;
		} else if (strcmp(a, "--no-pty") == 0) {
			o.no_pty = 1;
		} else if (strcmp(a, "--headless") == 0) {
			o.headless = 1;
		} else if (strcmp(a, "-b") == 0 || strcmp(a, "--background") == 0) {
			o.background = 1;
		} else if (strcmp(a, "--timeout") == 0 && v != NULL) {
			o.timeout = atof(v);
			i++;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (a[0] == '-') {
			fatal("run: unknown option %s (see hookctl --help)", a);
		} else {
			break;
		}
	}
	if (i >= argc)
		fatal("run: no game given: hookctl run [options] -- GAME ARGS...");
	o.argv = argv + i;
	char err[PATH_MAX + 64];
	if (libpath_find(shim, sizeof shim, err, sizeof err) != 0)
		fatal("%s", err);
	char setid[PATH_MAX], copy[PATH_MAX];
	precheck(o.argv[0], o.copy, setid);
	if (setid[0] != '\0') {
		private_copy(setid, copy);
		fprintf(stderr, "hookctl: %s is set-id: running a private copy "
		    "without the bit, %s (files its group may write, such as "
		    "score files, it may not)\n", setid, copy);
		o.argv[0] = copy;
	}
	/* A terminal game needs a terminal: with --pty, or in the background
	 * with none to give it, a pty of its own. */
	unsigned cols = 80, rows = 24;
	int use_pty = o.pty != NULL ||
	    (o.background && !o.no_pty && !isatty(0) && !isatty(1));
	if (o.pty != NULL && o.no_pty)
		fatal("run: --pty and --no-pty together");
	if (o.pty != NULL && launch_parse_size(o.pty, &cols, &rows) != 0)
		fatal("run: --pty takes COLSxROWS (1 to 9999 each), not %s", o.pty);

	int hs[2];
	if (pipe2(hs, O_CLOEXEC) != 0)
		fatal("pipe: %s", strerror(errno));
	/* The game gets the caller's environment, terminal and directory,
	 * with the shim and the options' settings (common/launch.h). */
	char hv[16][PATH_MAX + 32], fdbuf[16];
	char *hook[17] = { 0 };
	int nh = 0;
	snprintf(fdbuf, sizeof fdbuf, "%d", hs[1]);
	add_hook(hook, hv, &nh, "HOOK_HANDSHAKE_FD", fdbuf);
	add_hook(hook, hv, &nh, "HOOK_MODE", o.lockstep ? "lockstep" : NULL);
	add_hook(hook, hv, &nh, "HOOK_SPEED", o.speed);
	add_hook(hook, hv, &nh, "HOOK_FRAME", o.frame);
	add_hook(hook, hv, &nh, "HOOK_KEYBOARD", o.keyboard);
	add_hook(hook, hv, &nh, "HOOK_SOCKET", o.socket);
	add_hook(hook, hv, &nh, "HOOK_LOG", o.log);
	add_hook(hook, hv, &nh, "HOOK_TARGET", o.target);
	add_hook(hook, hv, &nh, "HOOK_TRACE", o.trace);
	add_hook(hook, hv, &nh, "HOOK_LAYOUT", o.layout);
	add_hook(hook, hv, &nh, "HOOK_KEYFRAME", o.keyframe);
	add_hook(hook, hv, &nh, "HOOK_SEED", o.seed);
	int keep[2] = { hs[1], -1 };
	struct launch_spec sp = {
		.argv = o.argv, .hook = hook, .shim = shim, .keep_fds = keep,
		.stdio = LAUNCH_STDIO_INHERIT, .set = o.set, .unset = o.unset,
		.headless = o.headless,
	};
	/* In the background, the game must not hold our standard output
	 * (SOCK=$(hookctl run -b ...) would wait for it): its output goes to
	 * --output, or /dev/null, unless that is a terminal. */
	if (use_pty) {
		sp.stdio = LAUNCH_STDIO_PTY;
		sp.cols = cols;
		sp.rows = rows;
	} else if (o.output != NULL || (o.background && !isatty(1))) {
		sp.output = o.output ? o.output : "/dev/null";
	}
	int outfd = -1;
	if (use_pty && (o.background || o.output != NULL)) {
		const char *to = o.output ? o.output : "/dev/null";
		outfd = open(to, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (outfd < 0)
			fatal("--output %s: %s", to, strerror(errno));
	}
	struct launch_proc lp;
	if (launch_start(&sp, &lp, err, sizeof err) != 0)
		fatal("%s", err);
	pid_t pid = lp.pid;
	close(hs[1]);

	/* The handshake: one line from the shim, before the game's main(). */
	char line[1024];
	size_t len = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = hs[0], .events = POLLIN };
		int r = poll(&p, 1, 100);
		if (r > 0) {
			ssize_t n = read(hs[0], line + len, sizeof line - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			if (memchr(line, '\n', len) != NULL || len == sizeof line - 1)
				break;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fatal("%s exited (status %d) before the shim said hello: "
			    "it ignored LD_PRELOAD (static or set-id?) or failed "
			    "to start", o.argv[0], exit_status(st));
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 > o.timeout) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fatal("no handshake from the shim in %s within %g s: the "
			    "game ignored LD_PRELOAD (static, set-id, or another "
			    "architecture?)", o.argv[0], o.timeout);
		}
	}
	close(hs[0]);
	line[len] = '\0';
	char *nl = strchr(line, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (strncmp(line, "ok ", 3) != 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		if (len == 0)
			fatal("the shim did not load into %s (static, set-id or "
			    "another architecture?)", o.argv[0]);
		if (strncmp(line, "err ", 4) == 0)
			fatal("the shim refused to start: %s", line + 4);
		fatal("%s", line);
	}
	const char *sock = strchr(line + 3, ' ');
	sock = sock ? sock + 1 : line + 3;
	/* After a tab: the game is driven, but its state is not observed (a
	 * bad layout, a trace that cannot be written). */
	char *warn = strchr(line, '\t');
	if (warn != NULL) {
		*warn++ = '\0';
		fprintf(stderr, "hookctl: %s\n", warn);
	}
	if (o.background) {
		if (lp.master >= 0) {
			/* Someone must drain the game's terminal: a relay of
			 * ours, in a session of its own, until the game ends. */
			pid_t r = fork();
			if (r < 0)
				fatal("fork: %s", strerror(errno));
			if (r == 0) {
				setsid();
				int nul = open("/dev/null", O_RDWR);
				if (nul >= 0) {
					dup2(nul, 0);
					dup2(nul, 1);
					dup2(nul, 2);
				}
				relay_output(lp.master, outfd);
				_exit(0);
			}
			close(lp.master);
		}
		printf("%s\n", sock);
		return warn ? 3 : 0;
	}
	fprintf(stderr, "hookctl: %s running (pid %d), socket %s\n", o.argv[0],
	    (int)pid, sock);
	/* The terminal's signals reach the game itself; we only wait. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (lp.master >= 0)
		relay_output(lp.master, outfd >= 0 ? outfd : 1);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fatal("waitpid: %s", strerror(errno));
	/* Headless: back when the game's X server is gone too. */
	while (lp.keeper > 0 && waitpid(lp.keeper, NULL, 0) < 0 &&
	    errno == EINTR)
		;
	if (warn != NULL && exit_status(st) == 0)
		return 3;
	return exit_status(st);
}
