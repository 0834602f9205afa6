/* benchlib.h: what the benches share: dying with a message, the clock,
 * medians, numbers with thousands separators, whole reads and writes, the
 * report's header, and the game under test, started under the hook library
 * on a pseudo-terminal of its own (drained by a thread) and driven over
 * its control socket. */
#ifndef GH_BENCHLIB_H
#define GH_BENCHLIB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Name the program for messages ("bench-step: ..."), give bench_cleanup
 * and die() what to clean up (CLEANUP may be NULL), and ignore SIGPIPE (a
 * game that goes away shows as a failed write). */
void bench_init(const char *prog, void (*cleanup)(void));

/* Call the CLEANUP given to bench_init, the first time only. */
void bench_cleanup(void);

/* Print an error to stderr and exit non-zero (after cleaning up). */
void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Monotonic time in nanoseconds, and in seconds. */
int64_t now_ns(void);
double now(void);

/* The median of N values (sorts them in place); 0 for none. */
double median(double *v, size_t n);

/* Format X as an integer with thousands separators, into BUF. */
const char *commas(double x, char *buf, size_t cap);

/* Write all of BUF, retrying on EINTR and short writes; 0 or -1. */
int write_all(int fd, const void *buf, size_t len);

/* Read exactly LEN bytes; 0, or -1 on error or end of file. */
int read_full(int fd, void *buf, size_t len);

/* The value of the option at ARGV[*I], *I moved on to it. --help and -h
 * (which take none) print USAGE to stdout and exit 0; an option without
 * its value is a usage error. */
const char *bench_option(int argc, char **argv, int *i,
    void (*usage)(FILE *));

/* Print USAGE to stderr and exit 2. */
void bench_usage_error(void (*usage)(FILE *)) __attribute__((noreturn));

/* Print the report's first lines: TITLE, then the date, the number of
 * CPUs and the kernel, followed by EXTRA (may be ""). */
void bench_header(const char *title, const char *extra);

/* Check GAME is executable and the hook library LIB is there; LIBABS
 * (PATH_MAX bytes) gets the library's absolute path, as LD_PRELOAD must
 * not depend on the cwd. Dies when either is missing. */
void check_game(const char *game, const char *lib, char *libabs);

/* The game under test and what belongs to it, for cleanup. */
struct bench_game {
	char dir[96];		/* the temporary directory, "" for none */
	char sock[160];		/* the control socket, in dir */
	char log[160];		/* the hook's log, in dir */
	double reply_secs;	/* how long a reply may take; 0: for ever */
	pid_t pid;
	int master;
	int slave;
	int stop[2];
	int reader_started;
	pthread_t reader;
	int fd;
	char in[16384];
	size_t inlen;
};

#define BENCH_GAME_INIT { .pid = -1, .master = -1, .slave = -1, \
	.stop = { -1, -1 }, .fd = -1 }

/* Make G's temporary directory, NAME.XXXXXX in the first of the NULL-ended
 * BASES where mkdtemp works, and name the socket and log in it. */
void game_make_dir(struct bench_game *g, const char *const *bases,
    const char *name);

/* Start ARGV (ARGV[0] the game) under the hook library LIBABS on a fresh
 * 80x24 pseudo-terminal, in lockstep at full speed, with the EXTRA
 * "NAME=value" variables (NULL-ended, or NULL) in its environment too. */
void game_start(struct bench_game *g, char *const argv[], const char *libabs,
    const char *const *extra);

/* Wait up to 10 s for the control socket, then connect to it. */
void game_connect(struct bench_game *g);

/* Send CMD (a full line of LEN bytes) and read one reply line into LINE,
 * waiting at most g->reply_secs for it (for ever when 0). */
void game_request(struct bench_game *g, const char *cmd, size_t len,
    char *line, size_t cap);

/* Stop the game: say "quit" first and wait a little for the reply when
 * QUIT, then close the connection, kill the game, stop the reader thread
 * and close the terminal. G can start a game again. */
void game_stop(struct bench_game *g, int quit);

/* Remove the socket, the log and the temporary directory, which must hold
 * nothing else by now. */
void game_remove_dir(struct bench_game *g);

#endif
