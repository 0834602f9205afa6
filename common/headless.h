/* A private X server for one game (`hookctl run --headless`, the Python
 * launcher's headless=True, `dumper replay` of a headless run).
 *
 * A keeper process, in a session of its own, starts Xvfb (which picks a
 * free display number itself, -displayfd), with a cookie of its own in a
 * private directory (mode 0700) and no TCP, and reports the display. Once
 * told the game's pid it watches the game (a pidfd) and ends the server
 * when the game ends, however it ends; if the launcher goes before naming
 * a game, it ends the server then. Xvfb itself dies with its keeper
 * (PR_SET_PDEATHSIG), so nothing is left behind. One keeper, written once:
 * the C launcher forks it, the Python launcher runs `hookctl xvfb`. */
#ifndef GH_HEADLESS_H
#define GH_HEADLESS_H

#include <stddef.h>
#include <sys/types.h>

struct headless {
	pid_t keeper;
	int to_keeper;           /* the game's pid goes here, then closed */
	char display[32];        /* ":N" */
	char xauthority[4096];   /* the cookie file */
};

/* Start a keeper and its X server. 0 with H filled once the server
 * accepts connections, or -1 with ERR set (Xvfb missing, failing). */
int headless_start(struct headless *h, char *err, size_t errlen);

/* From now on the server ends when process GAME does. GAME must not have
 * been reaped yet. */
void headless_watch(struct headless *h, pid_t game);

/* No game after all: the keeper ends the server. */
void headless_abort(struct headless *h);

/* Wait for the keeper to finish (the server gone); 0, or -1 on error. */
int headless_wait(struct headless *h);

/* The keeper's body: reports "ok :N XAUTHORITY" or "err WHY" as a line on
 * OUT, then reads the game's pid as a line from IN. Returns an exit
 * status. `hookctl xvfb` runs it on its standard input and output. */
int headless_keeper(int in, int out);

#endif
