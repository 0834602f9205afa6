/* Starting a game: the one routine `hookctl run` and `dumper replay` use;
 * python/gamehook.py's launch_env() and spawn() follow the same rules, one
 * for one (README, "What a launched game gets"):
 *
 *  1. its environment starts from the caller's (inherit) or from exactly
 *     the given list (clean: a trace's recorded environment), without the
 *     shim's own variables (HOOK_*, GAMEHOOK_*, LD_PRELOAD);
 *  2. with a pty of ours and no TERM, TERM=xterm;
 *  3. the HOOK_* settings the launcher passes; headless, a private X
 *     server's DISPLAY and XAUTHORITY, LIBGL_ALWAYS_SOFTWARE=1 (Mesa's
 *     software OpenGL), HOOK_HEADLESS=1 (the trace keeps that it was),
 *     and no WAYLAND_DISPLAY;
 *  4. LD_PRELOAD: the shim, then the other libraries of the base's
 *     LD_PRELOAD (any libhook.so among them dropped);
 *  5. the caller's overrides, last: NAME=VALUE set, NAME removed;
 *  6. its directory: the given one, or the caller's;
 *  7. a pty of COLS x ROWS as its controlling terminal and standard
 *     input, output and error, in a session of its own; or /dev/null in a
 *     session of its own; or the caller's descriptors.
 * A variable set again keeps its place; a new one goes at the end. */
#ifndef GH_LAUNCH_H
#define GH_LAUNCH_H

#include <stddef.h>
#include <string.h>
#include <sys/types.h>

/* Whether NAME (or a NAME=VALUE entry) is one of the shim's own. */
static inline int
launch_is_shim_var(const char *name)
{
	size_t n = strcspn(name, "=");
	return strncmp(name, "HOOK_", 5) == 0 ||
	    strncmp(name, "GAMEHOOK_", 9) == 0 ||
	    (n == 10 && strncmp(name, "LD_PRELOAD", 10) == 0);
}

enum launch_stdio {
	LAUNCH_STDIO_INHERIT,   /* the caller's descriptors, its session */
	LAUNCH_STDIO_PTY,       /* a pty of cols x rows, a session of its own */
	LAUNCH_STDIO_NULL,      /* /dev/null, a session of its own */
};

struct launch_spec {
	char *const *argv;          /* the game and its arguments */
	int clean;                  /* start from ENV, not the caller's */
	char *const *env;           /* clean: NAME=VALUE..., NULL-terminated */
	char *const *hook;          /* the launcher's settings, NAME=VALUE */
	const char *shim;           /* the shim's path; NULL: no shim */
	char *const *set;           /* overrides: NAME=VALUE */
	char *const *unset;         /* overrides: NAME */
	const char *cwd;            /* NULL: the caller's */
	enum launch_stdio stdio;
	unsigned cols, rows;        /* the pty's size */
	const char *output;         /* INHERIT: standard output and error
	                             * appended to this file instead */
	const int *keep_fds;        /* descriptors the game inherits, -1 ends */
	int headless;               /* a private X server (headless.h) */
	const char *display;        /* headless: its DISPLAY, XAUTHORITY */
	const char *xauthority;     /* (launch_start fills them in) */
};

struct launch_proc {
	pid_t pid;
	int master;                 /* the pty's master side, or -1 */
	pid_t keeper;               /* headless: the X server's keeper, or -1;
	                             * it ends once the game has (waitpid) */
};

/* The game's environment under the rules above: a malloc'd NULL-terminated
 * array of malloc'd strings (launch_env_free), NULL when out of memory. */
char **launch_env(const struct launch_spec *s);
void launch_env_free(char **env);

/* Find PROG as execvp would, with PATH from ENV (relative paths taken from
 * CWD when given). 0 with the path in OUT, or -1 with ERR set. */
int launch_resolve(const char *prog, char *const *env, const char *cwd,
    char *out, size_t len, char *err, size_t errlen);

/* What would keep the game from starting, found before anything starts:
 * a directory that does not exist, a program not found or not
 * executable, a pty size out of range. 0, or -1 with ERR set. */
int launch_check(const struct launch_spec *s, char *err, size_t errlen);

/* Start the game. 0 with *P filled once the game is exec'd (a failed exec
 * is reported here, with its reason), or -1 with ERR set. */
int launch_start(const struct launch_spec *s, struct launch_proc *p,
    char *err, size_t errlen);

/* "COLSxROWS" into *COLS, *ROWS: 0, or -1 when it is not one (1 to 9999
 * each). */
int launch_parse_size(const char *s, unsigned *cols, unsigned *rows);

/* `hookctl tty-exec FD PRELOAD PATH ARG0 [ARGS...]`, ARGV from "FD" on:
 * the Python launcher's last step before a game on a pseudo-terminal, in
 * the child it started without a pre-exec function (so by vfork, where no
 * fork handler of the parent's libraries runs: gRPC's once hung there).
 * A session of its own with FD's terminal as its controlling terminal,
 * LD_PRELOAD set to PRELOAD (none if empty: the trampoline itself runs
 * without the shim), SIGPIPE and SIGXFSZ at their defaults, then PATH
 * with ARG0 ARGS. Returns only on failure: 127, the reason on stderr. */
int launch_tty_exec(int argc, char **argv);

#endif
