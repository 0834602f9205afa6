/* Where a frame ends (HOOK_FRAME): the rules and the one table of their
 * names, which the configuration parser, its error message and `info`
 * read (and the README's HOOK_FRAME row is checked against). */
#ifndef GH_FRAMERULE_H
#define GH_FRAMERULE_H

#include <stddef.h>

enum frame_rule {
	FRAME_AUTO,            /* the main thread's sleeps and timed waits */
	FRAME_NANOSLEEP,
	FRAME_CLOCK_NANOSLEEP,
	FRAME_USLEEP,
	FRAME_SLEEP,
	FRAME_POLL,            /* poll, ppoll */
	FRAME_SELECT,          /* select, pselect */
	FRAME_WGETCH,          /* curses input calls */
	FRAME_DOUPDATE,        /* curses screen updates: doupdate, wrefresh */
	FRAME_SIGWAIT,         /* pause, sigsuspend, sigwait, sigwaitinfo, sigtimedwait */
	FRAME_EPOLL,           /* epoll_wait, epoll_pwait */
	FRAME_SPIN,            /* a busy loop's spin (see spin.h) */
};

/* Find a rule by any of its names. Returns 0, or -1 when NAME is none. */
int framerule_parse(const char *name, enum frame_rule *rule);

/* A rule's own name (the first the table gives it). */
const char *framerule_name(enum frame_rule rule);

/* Every name the parser accepts, aliases included, as "auto, nanosleep,
 * ...", into BUF (always terminated). */
void framerule_list(char *buf, size_t cap);

#endif
