/* Starting a game (see launch.h for the rules). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

#include "headless.h"
#include "launch.h"

extern char **environ;

struct envb {
	char **v;
	size_t n, cap;
	int oom;
};

static size_t
name_len(const char *e)
{
	return strcspn(e, "=");
}

static ssize_t
env_find(const struct envb *b, const char *name, size_t nl)
{
	for (size_t i = 0; i < b->n; i++)
		if (name_len(b->v[i]) == nl && strncmp(b->v[i], name, nl) == 0)
			return (ssize_t)i;
	return -1;
}

/* Set ENTRY (NAME=VALUE): in place when NAME is there, else at the end. */
static void
env_put(struct envb *b, const char *entry)
{
	char *dup = strdup(entry);
	if (dup == NULL) {
		b->oom = 1;
		return;
	}
	ssize_t i = env_find(b, entry, name_len(entry));
	if (i >= 0) {
		free(b->v[i]);
		b->v[i] = dup;
		return;
	}
	if (b->n + 2 > b->cap) {
		size_t cap = 2 * b->cap;
		char **v = realloc(b->v, cap * sizeof *v);
		if (v == NULL) {
			free(dup);
			b->oom = 1;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = dup;
	b->v[b->n] = NULL;
}

static void
env_del(struct envb *b, const char *name)
{
	ssize_t i = env_find(b, name, name_len(name));
	if (i < 0)
		return;
	free(b->v[i]);
	memmove(b->v + i, b->v + i + 1, (b->n - (size_t)i) * sizeof *b->v);
	b->n--;
}

void
launch_env_free(char **env)
{
	for (char **e = env; e && *e; e++)
		free(*e);
	free(env);
}

/* LD_PRELOAD: the shim, then BASE's libraries but any libhook.so. */
static void
put_preload(struct envb *b, const char *shim, const char *base)
{
	size_t cap = strlen(shim) + (base ? strlen(base) : 0) + 16;
	char *v = malloc(cap), *tmp = base ? strdup(base) : NULL;
	if (v == NULL || (base && tmp == NULL)) {
		free(v);
		free(tmp);
		b->oom = 1;
		return;
	}
	snprintf(v, cap, "LD_PRELOAD=%s", shim);
	char *save = NULL;
	for (char *t = tmp ? strtok_r(tmp, ": ", &save) : NULL; t != NULL;
	    t = strtok_r(NULL, ": ", &save)) {
		const char *slash = strrchr(t, '/');
		if (strcmp(slash ? slash + 1 : t, "libhook.so") == 0)
			continue;
		strcat(v, ":");
		strcat(v, t);
	}
	env_put(b, v);
	free(v);
	free(tmp);
}

char **
launch_env(const struct launch_spec *s)
{
	struct envb b = { 0 };
	char *const *base = s->clean ? s->env : environ;
	const char *preload = NULL;

	b.cap = 64;
	if ((b.v = calloc(b.cap, sizeof *b.v)) == NULL)
		return NULL;
	/* 1. the base, without the shim's variables */
	for (char *const *e = base; e && *e; e++) {
		if (strchr(*e, '=') == NULL)
			continue;
		if (strncmp(*e, "LD_PRELOAD=", 11) == 0)
			preload = *e + 11;
		if (!launch_is_shim_var(*e))
			env_put(&b, *e);
	}
	/* 2. a terminal type for a pty of ours */
	if (s->stdio == LAUNCH_STDIO_PTY && env_find(&b, "TERM", 4) < 0)
		env_put(&b, "TERM=xterm");
	/* 3. the launcher's settings; headless, its private X server */
	for (char *const *e = s->hook; e && *e; e++)
		env_put(&b, *e);
	if (s->headless) {
		char v[4096 + 16];
		if (s->display != NULL) {
			snprintf(v, sizeof v, "DISPLAY=%s", s->display);
			env_put(&b, v);
		}
		if (s->xauthority != NULL) {
			snprintf(v, sizeof v, "XAUTHORITY=%s", s->xauthority);
			env_put(&b, v);
		}
		env_put(&b, "LIBGL_ALWAYS_SOFTWARE=1");
		env_put(&b, "HOOK_HEADLESS=1");
		env_del(&b, "WAYLAND_DISPLAY");
	}
	/* 4. the shim first of the preloaded libraries */
	if (s->shim != NULL)
		put_preload(&b, s->shim, preload);
	/* 5. the caller's word, last */
	for (char *const *e = s->set; e && *e; e++)
		env_put(&b, *e);
	for (char *const *e = s->unset; e && *e; e++)
		env_del(&b, *e);
	if (b.oom) {
		launch_env_free(b.v);
		return NULL;
	}
	return b.v;
}

static const char *
env_get(char *const *env, const char *name)
{
	size_t nl = strlen(name);
	for (char *const *e = env; e && *e; e++)
		if (strncmp(*e, name, nl) == 0 && (*e)[nl] == '=')
			return *e + nl + 1;
	return NULL;
}

static int
executable(const char *path, const char *cwd)
{
	char full[PATH_MAX];
	struct stat st;
	if (path[0] != '/' && cwd != NULL) {
		snprintf(full, sizeof full, "%s/%s", cwd, path);
		path = full;
	}
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

int
launch_resolve(const char *prog, char *const *env, const char *cwd,
    char *out, size_t len, char *err, size_t errlen)
{
	if (prog == NULL || prog[0] == '\0') {
		snprintf(err, errlen, "no program to run");
		return -1;
	}
	if (strchr(prog, '/') != NULL) {
		char full[PATH_MAX];
		snprintf(out, len, "%s", prog);
		if (executable(prog, cwd))
			return 0;
		if (prog[0] != '/' && cwd != NULL)
			snprintf(full, sizeof full, "%s/%s", cwd, prog);
		else
			snprintf(full, sizeof full, "%s", prog);
		snprintf(err, errlen, "%s: %s", full, access(full, F_OK) == 0 ?
		    "not an executable file" : strerror(ENOENT));
		return -1;
	}
	const char *path = env_get(env, "PATH");
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		if (n == 0)
			snprintf(out, len, "%s", prog);
		else
			snprintf(out, len, "%.*s/%s", (int)n, path, prog);
		if (executable(out, cwd))
			return 0;
		path += n + (colon != NULL);
	}
	snprintf(err, errlen, "%s: not found in PATH", prog);
	return -1;
}

int
launch_parse_size(const char *s, unsigned *cols, unsigned *rows)
{
	char *end;
	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	unsigned long c = strtoul(s, &end, 10);
	if ((*end != 'x' && *end != 'X') || end[1] < '0' || end[1] > '9')
		return -1;
	unsigned long r = strtoul(end + 1, &end, 10);
	if (*end || c < 1 || c > 9999 || r < 1 || r > 9999)
		return -1;
	*cols = (unsigned)c;
	*rows = (unsigned)r;
	return 0;
}

static int
check_env(const struct launch_spec *s, char **env, char *path, size_t len,
    char *err, size_t errlen)
{
	struct stat st;
	if (s->argv == NULL || s->argv[0] == NULL) {
		snprintf(err, errlen, "no program to run");
		return -1;
	}
	if (s->cwd != NULL && stat(s->cwd, &st) != 0) {
		snprintf(err, errlen, "directory %s: %s", s->cwd, strerror(errno));
		return -1;
	}
	if (s->cwd != NULL && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", s->cwd);
		return -1;
	}
	if (s->stdio == LAUNCH_STDIO_PTY && (s->cols < 1 || s->cols > 9999 ||
	    s->rows < 1 || s->rows > 9999)) {
		snprintf(err, errlen, "terminal size %ux%u: 1 to 9999 each",
		    s->cols, s->rows);
		return -1;
	}
	if (s->headless) {
		char x[PATH_MAX];
		if (launch_resolve("Xvfb", environ, NULL, x, sizeof x, err,
		    errlen) != 0) {
			snprintf(err, errlen, "Xvfb: not found in PATH (headless "
			    "games need Debian's xvfb package)");
			return -1;
		}
	}
	return launch_resolve(s->argv[0], env, s->cwd, path, len, err, errlen);
}

int
launch_check(const struct launch_spec *s, char *err, size_t errlen)
{
	char path[PATH_MAX];
	char **env = launch_env(s);
	if (env == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int r = check_env(s, env, path, sizeof path, err, errlen);
	launch_env_free(env);
	return r;
}

/* In the child: report the failed STEP and errno on FD, and end. */
static void __attribute__((noreturn))
child_fail(int fd, const char *step, const char *what)
{
	char msg[PATH_MAX + 128];
	int n = snprintf(msg, sizeof msg, "%s %s: %s", step, what,
	    strerror(errno));
	(void)!write(fd, msg, (size_t)n);
	_exit(127);
}

int
launch_start(const struct launch_spec *s, struct launch_proc *p, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	int master = -1, slave = -1, st[2];
	struct headless hx = { .keeper = -1, .to_keeper = -1 };

	p->pid = -1;
	p->master = -1;
	p->keeper = -1;
	char **env = launch_env(s);
	if (env == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (check_env(s, env, path, sizeof path, err, errlen) != 0) {
		launch_env_free(env);
		return -1;
	}
	/* Headless: the private X server first, then the environment that
	 * names it. */
	if (s->headless && s->display == NULL) {
		struct launch_spec hs = *s;
		launch_env_free(env);
		if (headless_start(&hx, err, errlen) != 0)
			return -1;
		hs.display = hx.display;
		hs.xauthority = hx.xauthority;
		if ((env = launch_env(&hs)) == NULL) {
			snprintf(err, errlen, "out of memory");
			headless_abort(&hx);
			headless_wait(&hx);
			return -1;
		}
	}
	if (s->stdio == LAUNCH_STDIO_PTY) {
		struct winsize ws = { .ws_row = (unsigned short)s->rows,
			.ws_col = (unsigned short)s->cols };
		if (openpty(&master, &slave, NULL, NULL, &ws) != 0) {
			snprintf(err, errlen, "openpty: %s", strerror(errno));
			launch_env_free(env);
			headless_abort(&hx);
			headless_wait(&hx);
			return -1;
		}
		fcntl(master, F_SETFD, FD_CLOEXEC);
		fcntl(slave, F_SETFD, FD_CLOEXEC);
	}
	/* The child's failures before exec come back on a pipe that exec
	 * closes: nothing read means the game runs. */
	if (pipe2(st, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(st[0]);
		close(st[1]);
		goto fail;
	}
	/* Named before it can be reaped: the server now ends with it. */
	if (pid > 0)
		headless_watch(&hx, pid);
	if (pid == 0) {
		close(st[0]);
		/* What Python's subprocess does too: these back to default. */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGXFSZ, SIG_DFL);
		if (s->stdio == LAUNCH_STDIO_PTY) {
			if (login_tty(slave) != 0)
				child_fail(st[1], "login_tty", "");
		} else if (s->stdio == LAUNCH_STDIO_NULL) {
			int fd = open("/dev/null", O_RDWR);
			if (fd < 0 || setsid() < 0 || dup2(fd, 0) < 0 ||
			    dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
				child_fail(st[1], "stdio", "/dev/null");
			if (fd > 2)
				close(fd);
		} else if (s->output != NULL) {
			int fd = open(s->output, O_WRONLY | O_CREAT | O_APPEND,
			    0644);
			if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
				child_fail(st[1], "--output", s->output);
			if (fd > 2)
				close(fd);
		}
		for (const int *k = s->keep_fds; k && *k >= 0; k++)
			fcntl(*k, F_SETFD, 0);
		if (s->cwd != NULL && chdir(s->cwd) != 0)
			child_fail(st[1], "chdir", s->cwd);
		execve(path, s->argv, env);
		child_fail(st[1], "exec", path);
	}
	close(st[1]);
	if (slave >= 0)
		close(slave);
	char msg[PATH_MAX + 128];
	ssize_t n;
	while ((n = read(st[0], msg, sizeof msg - 1)) < 0 && errno == EINTR)
		;
	close(st[0]);
	launch_env_free(env);
	if (n > 0) {
		msg[n] = '\0';
		snprintf(err, errlen, "%s", msg);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (master >= 0)
			close(master);
		headless_wait(&hx);
		return -1;
	}
	p->pid = pid;
	p->master = master;
	p->keeper = hx.keeper;
	return 0;
fail:
	headless_abort(&hx);
	headless_wait(&hx);
	launch_env_free(env);
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	return -1;
}

int
launch_tty_exec(int argc, char **argv)
{
	char *end;
	long fd;

	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);
	if (argc < 4) {
		fprintf(stderr, "usage: hookctl tty-exec FD PRELOAD PATH ARG0 "
		    "[ARGS...]\n");
		return 127;
	}
	fd = strtol(argv[0], &end, 10);
	if (*argv[0] == '\0' || *end != '\0' || fd < 0 || fd > INT_MAX) {
		fprintf(stderr, "hookctl tty-exec: not a descriptor: %s\n",
		    argv[0]);
		return 127;
	}
	if (setsid() < 0) {
		fprintf(stderr, "hookctl tty-exec: setsid: %s\n",
		    strerror(errno));
		return 127;
	}
	if (ioctl((int)fd, TIOCSCTTY, 0) != 0) {
		fprintf(stderr, "hookctl tty-exec: TIOCSCTTY on %ld: %s\n", fd,
		    strerror(errno));
		return 127;
	}
	if (argv[1][0] != '\0' && setenv("LD_PRELOAD", argv[1], 1) != 0) {
		fprintf(stderr, "hookctl tty-exec: LD_PRELOAD: %s\n",
		    strerror(errno));
		return 127;
	}
	execv(argv[2], argv + 3);
	fprintf(stderr, "hookctl tty-exec: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
