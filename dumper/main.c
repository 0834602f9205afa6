/* dumper's command line: the table of its commands, which main and the
 * usage text both read. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumper.h"

static const struct dumper_cmd {
	const char *name;
	const char *args;
	const char *help;      /* lines of at most 44 characters */
	int (*fn)(int, char **);
} cmds[] = {
	{ "info", "TRACE [--json]", "the header, the fields and totals",
	    cmd_info },
	{ "cat", "TRACE [--delta] [--from N] [--to M]",
	    "one JSON line per frame: its inputs and\n"
	    "state (--delta: the values that changed)", cmd_cat },
	{ "npy", "TRACE -o DIR",
	    "one .npy file per leaf value, frames first,\n"
	    "with frame.npy, vtime_ns.npy, unreadable.npy", cmd_npy },
	{ "verify", "TRACE",
	    "read every record; list damage and lost frames", cmd_verify },
	{ "record", "TRACE N|header",
	    "frame N's (or the header's) record payload,\n"
	    "one zstd frame, to standard output", cmd_record },
	{ "screen", "TRACE [--frame N] [--json]",
	    "the screen at frame N (default: the last),\n"
	    "from a trace that keeps it (HOOK_TRACE_SCREEN),\n"
	    "one row a line (--json: as `screen` replies)", cmd_screen },
	{ "png", "TRACE -o DIR",
	    "the pictures of a trace that keeps them\n"
	    "(HOOK_TRACE_PIXELS), DIR/FRAME.png each", cmd_png },
	{ "replay", "TRACE [--env NAME=VALUE] [--unset NAME] [--cwd DIR]\n"
	    "         [--size COLSxROWS] [-- GAME ARGS...]",
	    "run the game under the shim again, as it\n"
	    "was launched (its command line,\n"
	    "environment, directory, terminal size),\n"
	    "with the trace's seed and inputs; compare\n"
	    "every frame's state (exit 1 at the first\n"
	    "that differs, naming the values)", cmd_replay },
};

#define NCMDS (sizeof cmds / sizeof cmds[0])

/* The usage text, from the table. */
static void
usage(FILE *f)
{
	fputs("usage: dumper COMMAND TRACE [OPTIONS]   (TRACE '-' is standard "
	    "input)\n\ncommands:\n", f);
	for (size_t i = 0; i < NCMDS; i++) {
		char head[128];
		const char *h = cmds[i].help;
		snprintf(head, sizeof head, "%s %s", cmds[i].name, cmds[i].args);
		if (strlen(head) <= 26)
			fprintf(f, "  %-26s ", head);
		else
			fprintf(f, "  %s\n%29s", head, "");
		for (;;) {
			const char *nl = strchr(h, '\n');
			if (nl == NULL) {
				fprintf(f, "%s\n", h);
				break;
			}
			fprintf(f, "%.*s\n%29s", (int)(nl - h), h, "");
			h = nl + 1;
		}
	}
	fputs("\nExit status: 0 clean (replay: identical), 1 the trace is damaged "
	    "(or\nis not one, or has no such frame; replay: diverged), 2 usage or "
	    "I/O\nerrors.\n", f);
}

int
usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("dumper: ", stderr);
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (dumper --help for usage)\n", stderr);
	return EX_USAGE;
}

const char *
opt_value(int argc, char **argv, int *i, const char *cmd)
{
	if (*i + 1 >= argc) {
		usage_error(cmd, "%s needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

int
parse_int64(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (*s == '\0' || *end || errno)
		return -1;
	*v = n;
	return 0;
}


int
main(int argc, char **argv)
{
	char names[128];
	size_t len = 0;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EX_CLEAN;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option '%s'", argv[1]);
	names[0] = '\0';
	for (size_t i = 0; i < NCMDS && len < sizeof names; i++)
		len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
		    i ? ", " : "", cmds[i].name);
	return usage_error(NULL, "unknown command '%s' (commands: %s)", argv[1],
	    names);
}
