/* Proves the launcher's rules (common/launch.h): a clean environment is
 * the given list in its order less the shim's variables, TERM=xterm only
 * for a pty of ours and only when missing, the launcher's settings, then
 * LD_PRELOAD with the shim first and a stale libhook.so dropped, overrides
 * set in place and unset last; sizes parse strictly; a missing directory
 * or program is found before starting; a started game gets a pty of the
 * asked size as its terminal and the asked directory; headless, the
 * private X server's DISPLAY and XAUTHORITY replace the base's, with
 * LIBGL_ALWAYS_SOFTWARE=1 and HOOK_HEADLESS=1, no WAYLAND_DISPLAY, the
 * caller's overrides still last. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "unit.h"

static size_t
count(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static void
clean_environment_follows_the_rules(void)
{
	char *base[] = { "A=1", "HOOK_SPEED=3", "GAMEHOOK_OWNER=9", "B=2",
		"LD_PRELOAD=/old/libhook.so:/x/libother.so", "C=3", NULL };
	char *hook[] = { "HOOK_MODE=lockstep", NULL };
	char *set[] = { "B=20", "D=4", NULL };
	char *unset[] = { "C", NULL };
	struct launch_spec s = { .clean = 1, .env = base, .hook = hook,
		.shim = "/new/libhook.so", .set = set, .unset = unset,
		.stdio = LAUNCH_STDIO_PTY, .cols = 80, .rows = 24 };
	char **e = launch_env(&s);
	if (!CHECK(e != NULL))
		return;
	if (CHECK_EQ_INT(count(e), 6)) {
		CHECK_EQ_STR(e[0], "A=1");
		CHECK_EQ_STR(e[1], "B=20");   /* set again: in its place */
		CHECK_EQ_STR(e[2], "TERM=xterm");
		CHECK_EQ_STR(e[3], "HOOK_MODE=lockstep");
		CHECK_EQ_STR(e[4], "LD_PRELOAD=/new/libhook.so:/x/libother.so");
		CHECK_EQ_STR(e[5], "D=4");
	}
	launch_env_free(e);
	/* No pty of ours: no TERM is made up; one given is kept. */
	s.stdio = LAUNCH_STDIO_NULL;
	e = launch_env(&s);
	for (size_t i = 0; e && e[i]; i++)
		CHECK(strncmp(e[i], "TERM=", 5) != 0);
	launch_env_free(e);
	char *base2[] = { "TERM=screen-256color", NULL };
	struct launch_spec t = { .clean = 1, .env = base2,
		.stdio = LAUNCH_STDIO_PTY };
	e = launch_env(&t);
	if (CHECK(e != NULL) && CHECK_EQ_INT(count(e), 1))
		CHECK_EQ_STR(e[0], "TERM=screen-256color");
	launch_env_free(e);
	CHECK(launch_is_shim_var("LD_PRELOAD=x"));
	CHECK(!launch_is_shim_var("LD_PRELOAD_X=x"));
	CHECK(launch_is_shim_var("HOOK_SOCKET"));
	CHECK(!launch_is_shim_var("XHOOK_=1"));
}

static void
sizes_parse_strictly(void)
{
	unsigned c = 0, r = 0;
	CHECK_EQ_INT(launch_parse_size("120x40", &c, &r), 0);
	CHECK_EQ_INT(c, 120);
	CHECK_EQ_INT(r, 40);
	CHECK_EQ_INT(launch_parse_size("80X24", &c, &r), 0);
	CHECK_EQ_INT(launch_parse_size("80", &c, &r), -1);
	CHECK_EQ_INT(launch_parse_size("80x", &c, &r), -1);
	CHECK_EQ_INT(launch_parse_size("0x24", &c, &r), -1);
	CHECK_EQ_INT(launch_parse_size("80x24x", &c, &r), -1);
	CHECK_EQ_INT(launch_parse_size("-80x24", &c, &r), -1);
	CHECK_EQ_INT(launch_parse_size("10000x24", &c, &r), -1);
}

static void
what_cannot_start_is_found_first(void)
{
	char err[512];
	char *argv[] = { "sh", NULL }, *missing[] = { "no-such-game-here", NULL };
	char *path[] = { "PATH=/usr/bin:/bin", NULL };
	struct launch_spec s = { .argv = argv, .clean = 1, .env = path,
		.cwd = "/nonexistent/dir" };
	CHECK_EQ_INT(launch_check(&s, err, sizeof err), -1);
	CHECK_EQ_STR(err, "directory /nonexistent/dir: No such file or directory");
	s.cwd = "/";
	CHECK_EQ_INT(launch_check(&s, err, sizeof err), 0);
	s.argv = missing;
	CHECK_EQ_INT(launch_check(&s, err, sizeof err), -1);
	CHECK_EQ_STR(err, "no-such-game-here: not found in PATH");
	char *rel[] = { "bin/sh", NULL };
	s.argv = rel;          /* relative: from the directory given */
	CHECK_EQ_INT(launch_check(&s, err, sizeof err), access("/bin/sh", X_OK));
	char file[] = "/tmp/gh-launch-XXXXXX";
	int fd = mkstemp(file);     /* mode 0600: not executable */
	if (!CHECK(fd >= 0))
		return;
	close(fd);
	char *notexec[] = { file, NULL };
	s.argv = notexec;
	CHECK_EQ_INT(launch_check(&s, err, sizeof err), -1);
	char want[600];
	snprintf(want, sizeof want, "%s: not an executable file", file);
	CHECK_EQ_STR(err, want);
	unlink(file);
}

static void
a_game_gets_its_pty_size_and_directory(void)
{
	char err[512], out[256] = "";
	char *argv[] = { "sh", "-c", "stty size; pwd; tty >/dev/null && echo tty",
		NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	struct launch_spec s = { .argv = argv, .clean = 1, .env = env,
		.cwd = "/usr", .stdio = LAUNCH_STDIO_PTY, .cols = 123, .rows = 45 };
	struct launch_proc p;
	if (!CHECK_EQ_INT(launch_start(&s, &p, err, sizeof err), 0))
		return;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(p.master, out + len, sizeof out - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;     /* EIO once the game is gone */
		len += (size_t)n;
	}
	out[len] = '\0';
	int st;
	waitpid(p.pid, &st, 0);
	close(p.master);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ_STR(out, "45 123\r\n/usr\r\ntty\r\n");
	/* A failed exec comes back with its reason: a file that is
	 * executable but no program. */
	char file[] = "/tmp/gh-launch-XXXXXX";
	int fd = mkstemp(file);
	if (!CHECK(fd >= 0))
		return;
	(void)!write(fd, "\x7f" "ELF junk", 8);
	fchmod(fd, 0755);
	close(fd);
	char *bad[] = { file, NULL };
	s.argv = bad;
	s.stdio = LAUNCH_STDIO_NULL;
	CHECK_EQ_INT(launch_start(&s, &p, err, sizeof err), -1);
	CHECK(strstr(err, "exec ") == err && strstr(err, "Exec format error"));
	unlink(file);
}

static void
headless_names_its_own_server(void)
{
	char *base[] = { "DISPLAY=:0", "A=1", "WAYLAND_DISPLAY=wayland-0",
		"XAUTHORITY=/home/me/.Xauthority", NULL };
	char *hook[] = { "HOOK_MODE=lockstep", NULL };
	char *set[] = { "LIBGL_ALWAYS_SOFTWARE=0", NULL };
	struct launch_spec s = { .clean = 1, .env = base, .hook = hook,
		.stdio = LAUNCH_STDIO_NULL, .headless = 1, .display = ":7",
		.xauthority = "/run/x/xauthority", .set = set };
	char **e = launch_env(&s);
	if (!CHECK(e != NULL))
		return;
	if (CHECK_EQ_INT(count(e), 6)) {
		CHECK_EQ_STR(e[0], "DISPLAY=:7");     /* in its place */
		CHECK_EQ_STR(e[1], "A=1");
		CHECK_EQ_STR(e[2], "XAUTHORITY=/run/x/xauthority");
		CHECK_EQ_STR(e[3], "HOOK_MODE=lockstep");
		CHECK_EQ_STR(e[4], "LIBGL_ALWAYS_SOFTWARE=0");  /* --env last */
		CHECK_EQ_STR(e[5], "HOOK_HEADLESS=1");
	}
	launch_env_free(e);
	/* Not headless: the caller's display, untouched. */
	s.headless = 0;
	e = launch_env(&s);
	if (CHECK(e != NULL) && CHECK_EQ_INT(count(e), 6)) {
		CHECK_EQ_STR(e[0], "DISPLAY=:0");
		CHECK_EQ_STR(e[2], "WAYLAND_DISPLAY=wayland-0");
	}
	launch_env_free(e);
}

static const struct unit_case cases[] = {
	UNIT_CASE(clean_environment_follows_the_rules),
	UNIT_CASE(sizes_parse_strictly),
	UNIT_CASE(what_cannot_start_is_found_first),
	UNIT_CASE(a_game_gets_its_pty_size_and_directory),
	UNIT_CASE(headless_names_its_own_server),
};

int
main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, UNIT_NCASES(cases));
}
