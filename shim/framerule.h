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
	/* Presentation (hook-present.c): any of the calls below, or one. */
	FRAME_PRESENT,
	FRAME_SDL_GL_SWAPWINDOW,
	FRAME_SDL_RENDERPRESENT,
	FRAME_SDL_UPDATEWINDOWSURFACE, /* and SDL_UpdateWindowSurfaceRects */
	FRAME_GLXSWAPBUFFERS,
	FRAME_EGLSWAPBUFFERS,
	FRAME_SDL_FLIP,                /* SDL 1.2 */
	FRAME_SDL_GL_SWAPBUFFERS,      /* SDL 1.2 */
	FRAME_SDL_UPDATERECT,          /* SDL 1.2, and SDL_UpdateRects */
};

/* True for the presentation rules (FRAME_PRESENT and each call). */
static inline int
framerule_is_present(enum frame_rule r)
{
	return r >= FRAME_PRESENT;
}

/* Find a rule by any of its names. Returns 0, or -1 when NAME is none. */
int framerule_parse(const char *name, enum frame_rule *rule);

/* A rule's own name (the first the table gives it). */
const char *framerule_name(enum frame_rule rule);

/* Every name the parser accepts, aliases included, as "auto, nanosleep,
 * ...", into BUF (always terminated). */
void framerule_list(char *buf, size_t cap);

#endif
