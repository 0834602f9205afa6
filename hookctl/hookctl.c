/* hookctl: one command, or a script of commands from standard input, to a
 * game's control socket; `hookctl run` launches a game under the shim. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netdb.h>
#include <unistd.h>

#include "cmdtab.h"
#include "headless.h"
#include "launch.h"
#include "hookctl.h"
#include "sockpath.h"
#include "textproto.h"

struct conn {
	int fd;
	char *buf;              /* what was received, not yet a line */
	size_t len, cap;
	char *line;             /* the last line read */
	size_t linecap;
	int timeout_ms;
};

void
fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("hookctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hookctl [-s SOCK | -p PID] [-k] [-t SECONDS] [COMMAND ARGS...]\n"
	    "       hookctl run [--lockstep] [--speed X] [--frame RULE] [-s SOCK]\n"
	    "                   [--log FILE] [--layout FILE] [--trace PATH|fd:N]\n"
	    "                   [--keyframe N] [--seed N]\n"
	    "                   [--keyboard real|ignore] [--target GLOB] [--output FILE]\n"
	    "                   [--env NAME=VALUE] [--unset NAME]\n"
	    "                   [--pty COLSxROWS | --no-pty] [--copy] [--headless]\n"
	    "                   [--background] [--timeout SECONDS] -- GAME ARGS...\n"
	    "       hookctl list\n"
	    "       hookctl xvfb      (the Python launcher's headless X server keeper)\n"
	    "       hookctl tty-exec FD PRELOAD PATH ARG0 [ARGS...]\n"
	    "                         (the Python launcher's start of a game on a pty)\n"
	    "\n"
	    "With a COMMAND, sends it and prints the reply's payload: exit 0 on ok,\n"
	    "1 on err (the message goes to stderr). Without one, reads commands\n"
	    "from standard input, one a line, stopping at the first error unless -k.\n"
	    "The socket: -s, -p PID, $HOOK_SOCKET, or the only game running;\n"
	    "-s tcp:HOST:PORT reaches a game's HOOK_LISTEN, with $HOOK_TOKEN.\n"
	    "\ncommands:\n");
	for (int i = 0; i < CMD_COUNT; i++) {
		char head[64];
		snprintf(head, sizeof head, "%s %s", cmd_table[i].name,
		    cmd_table[i].args);
		fprintf(f, "  %-22s %s\n", head, cmd_table[i].help);
	}
}

/* Live sockets in the default directory; returns how many, the first in
 * ONE. */
static int
find_sockets(char *one, size_t len, int print)
{
	char dir[256];
	DIR *d;
	struct dirent *e;
	int count = 0;

	if (sockpath_dir(dir, sizeof dir) != 0 || (d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		pid_t pid = sockpath_pid_of(e->d_name);
		if (pid < 0)
			continue;
		if (kill(pid, 0) != 0 && errno == ESRCH)
			continue;
		if (count++ == 0)
			snprintf(one, len, "%s/%s", dir, e->d_name);
		if (print)
			printf("%s/%s\n", dir, e->d_name);
	}
	closedir(d);
	return count;
}

/* TCP: tcp:HOST:PORT (HOOK_LISTEN's side), authenticated with
 * $HOOK_TOKEN before anything else. */
static int
connect_tcp(const char *spec)
{
	char buf[256], *h, *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	const char *token = getenv("HOOK_TOKEN");
	int fd;

	snprintf(buf, sizeof buf, "%s", spec);
	if (sockpath_hostport(buf, "127.0.0.1", &h, &port) != 0)
		fatal("%s: expected tcp:HOST:PORT", spec);
	if (token == NULL || token[0] == '\0')
		fatal("tcp:%s: set HOOK_TOKEN to the game's token", spec);
	int r = getaddrinfo(h, port, &hints, &res);
	if (r != 0)
		fatal("tcp:%s: %s", spec, gai_strerror(r));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0)
		fatal("cannot connect to tcp:%s: %s", spec, strerror(errno));
	freeaddrinfo(res);
	char line[512];
	snprintf(line, sizeof line, "auth %s\n", token);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		fatal("send: %s", strerror(errno));
	size_t n = 0;
	while (n < sizeof line - 1) {
		ssize_t k = recv(fd, line + n, 1, 0);
		if (k <= 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	if (strncmp(line, "ok", 2) != 0)
		fatal("tcp:%s: %s", spec, n ? line : "connection closed");
	return fd;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strncmp(path, "tcp:", 4) == 0)
		return connect_tcp(path + 4);
	if (strlen(path) >= sizeof a.sun_path)
		fatal("socket path too long: %s", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		fatal("cannot connect to %s: %s", path, strerror(errno));
	return fd;
}

static void
send_line(struct conn *c, const char *line)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fatal("send: %s", strerror(errno));
		}
		off += (size_t)n;
	}
}

/* Read one reply line (any length) into c->line, NUL-terminated, newline
 * dropped. Returns 0, or -1 at end of stream. */
static int
read_line(struct conn *c)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf);
			if (n + 1 > c->linecap) {
				c->linecap = n + 1;
				c->line = realloc(c->line, c->linecap);
				if (c->line == NULL)
					fatal("out of memory");
			}
			memcpy(c->line, c->buf, n);
			c->line[n] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return 0;
		}
		if (c->len == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 65536;
			c->buf = realloc(c->buf, c->cap);
			if (c->buf == NULL)
				fatal("out of memory for a %zu-byte reply", c->cap);
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int r = poll(&p, 1, c->timeout_ms);
		if (r == 0)
			fatal("no reply within %d ms", c->timeout_ms);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll: %s", strerror(errno));
		}
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
	}
}

/* Close the connection and free its buffers. */
static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	free(c->line);
	c->buf = c->line = NULL;
	c->len = c->cap = c->linecap = 0;
}

/* Stream a watch: after the ok, print every line (one JSON object a
 * frame) until the game goes. Returns 0, or 1 on err. */
static int
run_watch(struct conn *c, const char *cmd)
{
	send_line(c, cmd);
	send_line(c, "\n");
	if (read_line(c) != 0)
		fatal("the game closed the connection");
	if (strncmp(c->line, "err ", 4) == 0) {
		fprintf(stderr, "hookctl: %s\n", c->line + 4);
		return 1;
	}
	c->timeout_ms = -1;   /* frames come when they come */
	while (read_line(c) == 0) {
		puts(c->line);
		fflush(stdout);
	}
	return 0;
}

/* Send one command and print its reply; returns 0 on ok, 1 on err. */
static int
run_command(struct conn *c, const char *cmd)
{
	send_line(c, cmd);
	send_line(c, "\n");
	if (read_line(c) != 0)
		fatal("the game closed the connection");
	const char *line = c->line;
	if (strncmp(line, "ok", 2) == 0 && (line[2] == '\0' || line[2] == ' ')) {
		if (line[2] == ' ')
			puts(line + 3);
		fflush(stdout);
		return 0;
	}
	if (strncmp(line, "err ", 4) == 0) {
		fprintf(stderr, "hookctl: %s\n", line + 4);
		return 1;
	}
	fatal("unexpected reply: %s", line);
}

static int
is_blank_or_comment(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' || *s == '#';
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	char found[512];
	int keep_going = 0, i;
	struct conn c = { .timeout_ms = -1 };

	/* (before SIGPIPE is ignored: the game would inherit that) */
	if (argc > 1 && strcmp(argv[1], "tty-exec") == 0)
		return launch_tty_exec(argc - 2, argv + 2);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return launch_main(argc - 1, argv + 1);
	/* The Python launcher's keeper of a headless game's X server. */
	if (argc == 2 && strcmp(argv[1], "xvfb") == 0)
		return headless_keeper(0, 1);
	if (argc > 1 && strcmp(argv[1], "list") == 0)
		return find_sockets(found, sizeof found, 1) > 0 ? 0 : 1;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			sock = argv[++i];
		} else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
			char *end;
			long pid = strtol(argv[++i], &end, 10);
			if (*end || pid <= 0)
				fatal("-p: not a pid: %s", argv[i]);
			if (sockpath_for_pid((pid_t)pid, found, sizeof found) != 0)
				fatal("socket path too long");
			sock = found;
		} else if (strcmp(argv[i], "-k") == 0) {
			keep_going = 1;
		} else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
			c.timeout_ms = (int)(atof(argv[++i]) * 1000);
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (sock == NULL)
		sock = getenv("HOOK_SOCKET");
	if (sock == NULL || sock[0] == '\0') {
		int n = find_sockets(found, sizeof found, 0);
		if (n == 0)
			fatal("no running game found: start one with 'hookctl run', "
			    "or give -s SOCK or -p PID");
		if (n > 1) {
			fprintf(stderr, "hookctl: %d games are running; choose "
			    "one with -s or -p:\n", n);
			find_sockets(found, sizeof found, 1);
			return 2;
		}
		sock = found;
	}
	c.fd = connect_to(sock);

	if (i < argc) {
		char cmd[TP_LINE_MAX + 1];
		size_t len = 0;
		for (int k = i; k < argc; k++) {
			int n = snprintf(cmd + len, sizeof cmd - len, "%s%s",
			    k > i ? " " : "", argv[k]);
			if (n < 0 || (size_t)n >= sizeof cmd - len)
				fatal("command longer than %d bytes", TP_LINE_MAX);
			len += (size_t)n;
		}
		const struct cmd_entry *e = cmd_find(argv[i]);
		int status = e != NULL && (e->flags & CMD_STREAMS) ?
		    run_watch(&c, cmd) : run_command(&c, cmd);
		conn_close(&c);
		return status;
	}

	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int status = 0;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (is_blank_or_comment(line))
			continue;
		if (run_command(&c, line) != 0) {
			status = 1;
			if (!keep_going)
				break;
		}
	}
	free(line);
	conn_close(&c);
	return status;
}
