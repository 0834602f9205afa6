/* Resolution of the real functions behind the hooks (see real.h). */
#include <dlfcn.h>

#include "gfxin.h"
#include "real.h"
#include "sdlin.h"

#define REAL_DEFINE(ret, name, params, args) ret (*real_##name) params;
REAL_LIBC(REAL_DEFINE)
REAL_CURSES(REAL_DEFINE)
#undef REAL_DEFINE

void **real_curscr;
void **real_stdscr;

void
real_resolve(void)
{
#define REAL_LOOKUP(ret, name, params, args) \
	if (real_##name == NULL) \
		*(void **)&real_##name = dlsym(RTLD_NEXT, #name);
	REAL_LIBC(REAL_LOOKUP)
#undef REAL_LOOKUP
	real_resolve_curses();
	sdl_resolve();
	x11_resolve();
}

void
real_resolve_curses(void)
{
	/* Probe one name first: dlsym of a missing name costs an error
	 * string, so skip the list when curses is not loaded at all. */
	if (real_wgetch == NULL &&
	    (*(void **)&real_wgetch = dlsym(RTLD_NEXT, "wgetch")) == NULL)
		return;
#define REAL_LOOKUP(ret, name, params, args) \
	if (real_##name == NULL) \
		*(void **)&real_##name = dlsym(RTLD_NEXT, #name);
	REAL_CURSES(REAL_LOOKUP)
#undef REAL_LOOKUP
	if (real_curscr == NULL)
		real_curscr = dlsym(RTLD_DEFAULT, "curscr");
	if (real_stdscr == NULL)
		real_stdscr = dlsym(RTLD_DEFAULT, "stdscr");
}

void **
real_resolve_stdscr(void)
{
	if (real_stdscr == NULL)
		real_resolve_curses();
	return real_stdscr;
}
