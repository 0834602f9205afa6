/* Hooks for curses games: keyboard input through wgetch and friends (keys
 * arrive as the KEY_* codes curses itself would return), screen updates as
 * frame boundaries (HOOK_FRAME=doupdate), and reading back the screen. */
#include <errno.h>
#include <curses.h>
#undef getch
#undef get_wch
#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "../common/textproto.h"
#include "frame.h"
#include "input.h"
#include "tty.h"
#include "spin.h"
#include "real.h"
#include "shim.h"
#include "wait.h"

static SHIM_TLS int tls_in_update;

/* curses redraws a touched window before reading from it; so do we when
 * we answer in its place. */
static void
refresh_if_touched(WINDOW *w)
{
	if (w != NULL && real_is_wintouched != NULL && real_wrefresh != NULL &&
	    real_is_wintouched(w))
		real_wrefresh(w);
}

/* nl() mode, curses' default: a CR read is returned as NL (nl(), nonl()
 * below follow it). */
static _Atomic int curses_nl = 1;

/* The next injected key as wgetch would return it for window W: the KEY_*
 * code with keypad on, the raw bytes one at a time with it off. */
static int
take_key(WINDOW *w, int *code)
{
	if (real_is_keypad != NULL && !real_is_keypad(w)) {
		unsigned char b;
		if (!tty_readable() || tty_read(&b, 1) != 1)
			return 0;
		*code = b;
		return 1;
	}
	return tty_take_code(code, atomic_load_explicit(&curses_nl,
	    memory_order_relaxed));
}

/* halfdelay(T): getch waits T tenths at most. ncurses keeps this in its
 * SCREEN, with no accessor before 6.5, so the shim follows the calls that
 * set and clear it (see halfdelay() below). */
static _Atomic int halfdelay_tenths;

/* Call the real reader without waiting and without its inner calls being
 * virtualised again. */
static int
real_read_now(WINDOW *w, int (*fn)(WINDOW *, void *), void *arg, int delay)
{
	int r;
	int hd = atomic_load_explicit(&halfdelay_tenths, memory_order_relaxed);

	tls_internal++;
	if (delay != 0 && real_wtimeout != NULL)
		real_wtimeout(w, 0);
	/* halfdelay outranks the window's delay in ncurses: leave it for
	 * the one look, then set it again (the same tty modes). */
	if (hd > 0 && real_cbreak != NULL)
		real_cbreak();
	r = fn(w, arg);
	if (hd > 0 && real_halfdelay != NULL)
		real_halfdelay(hd);
	if (delay != 0 && real_wtimeout != NULL)
		real_wtimeout(w, delay);
	tls_internal--;
	return r;
}

static int
call_wgetch(WINDOW *w, void *arg)
{
	(void)arg;
	return real_wgetch(w);
}

static int
call_wget_wch(WINDOW *w, void *arg)
{
	return real_wget_wch(w, arg);
}

/* The common body of wgetch and wget_wch: injected keys first; the wait
 * the window asks for on the virtual clock; the real keyboard only when it
 * is not ignored. Returns 1 with *code set for an injected key, else the
 * real reader's result through *real_ret (ERR when nothing came). */
static int
getkey(WINDOW *w, int (*fn)(WINDOW *, void *), void *arg, int *code,
    int *real_ret, const void *caller)
{
	int wdelay = real_wgetdelay != NULL ? real_wgetdelay(w) : 0;
	/* halfdelay leaves the window blocking; getch times out anyway. */
	int hd = atomic_load_explicit(&halfdelay_tenths, memory_order_relaxed);
	int delay = wdelay < 0 && hd > 0 ? hd * 100 : wdelay;

	*real_ret = ERR;
	if (input_pending() || tty_holding()) {
		refresh_if_touched(w);
		return take_key(w, code);
	}
	if (delay != 0) {
		refresh_if_touched(w);
		/* A blocking getch is a read (restarted after SA_RESTART). */
		if (wait_read_ready(0, delay < 0 ? -1 :
		    (int64_t)delay * 1000000, FRAME_WGETCH) < 0)
			return 0;
		if (input_pending() || tty_holding())
			return take_key(w, code);
	}
	/* Nothing injected: read the real keyboard without waiting. While
	 * it is ignored, keys typed there are consumed and dropped. */
	int r = real_read_now(w, fn, arg, wdelay);
	if (!input_ignore_real())
		*real_ret = r;
	if (delay == 0 && *real_ret == ERR)
		spin_note(SPIN_INPUT, caller);
	return 0;
}

/* wgetch for the game's call at CALLER (named in the busy-loop log). */
static int
wgetch_from(WINDOW *w, const void *caller)
{
	int code, r;

	if (real_wgetch == NULL)
		real_resolve_curses();
	if (!shim_on() || w == NULL)
		return real_wgetch(w);
	if (getkey(w, call_wgetch, NULL, &code, &r, caller))
		return code;
	return r;
}

EXPORT int
wgetch(WINDOW *w)
{
	return wgetch_from(w, __builtin_return_address(0));
}

EXPORT int
getch(void)
{
	if (real_resolve_stdscr() == NULL)
		return ERR;
	return wgetch_from((WINDOW *)*real_stdscr, __builtin_return_address(0));
}

static int
wget_wch_from(WINDOW *w, wint_t *out, const void *caller)
{
	int code, r;

	if (real_wget_wch == NULL)
		real_resolve_curses();
	if (!shim_on() || w == NULL)
		return real_wget_wch(w, out);
	if (getkey(w, call_wget_wch, out, &code, &r, caller)) {
		*out = (wint_t)code;
		return code >= KEY_MIN ? KEY_CODE_YES : OK;
	}
	return r;
}

EXPORT int
wget_wch(WINDOW *w, wint_t *out)
{
	return wget_wch_from(w, out, __builtin_return_address(0));
}

EXPORT int
get_wch(wint_t *out)
{
	if (real_resolve_stdscr() == NULL)
		return ERR;
	return wget_wch_from((WINDOW *)*real_stdscr, out,
	    __builtin_return_address(0));
}

/* A screen update ends a frame when HOOK_FRAME=doupdate: after the real
 * update, so the frame published is the one on screen. */
static void
after_update(void)
{
	if (shim_on() && frame_is_boundary(FRAME_DOUPDATE))
		frame_boundary(1);
}

EXPORT int
doupdate_sp(SCREEN *sp)
{
	if (real_doupdate_sp == NULL)
		real_resolve_curses();
	int r = real_doupdate_sp(sp);
	if (!tls_in_update)
		after_update();
	return r;
}

EXPORT int
doupdate(void)
{
	if (real_doupdate == NULL)
		real_resolve_curses();
	tls_in_update++;
	int r = real_doupdate();
	tls_in_update--;
	after_update();
	return r;
}

/* halfdelay(T), and the calls that leave it. */
EXPORT int
halfdelay(int t)
{
	if (real_halfdelay == NULL)
		real_resolve_curses();
	int r = real_halfdelay(t);
	if (r == OK)
		atomic_store(&halfdelay_tenths, t);
	return r;
}

#define MODE_HOOK(name) \
	EXPORT int \
	name(void) \
	{ \
		if (real_##name == NULL) \
			real_resolve_curses(); \
		int r = real_##name(); \
		if (r == OK) \
			atomic_store(&halfdelay_tenths, 0); \
		return r; \
	}
MODE_HOOK(cbreak)
MODE_HOOK(nocbreak)
MODE_HOOK(raw)
MODE_HOOK(noraw)

/* nl() and nonl(): whether getch turns CR into NL (curses_nl). */
EXPORT int
nl(void)
{
	if (real_nl == NULL)
		real_resolve_curses();
	int r = real_nl();
	if (r == OK)
		atomic_store(&curses_nl, 1);
	return r;
}

EXPORT int
nonl(void)
{
	if (real_nonl == NULL)
		real_resolve_curses();
	int r = real_nonl();
	if (r == OK)
		atomic_store(&curses_nl, 0);
	return r;
}
