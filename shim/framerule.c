/* The names of the frame rules (see framerule.h). */
#include <stdio.h>
#include <string.h>

#include "framerule.h"

/* Each rule's own name first, then its aliases. */
static const struct {
	const char *name;
	enum frame_rule rule;
} names[] = {
	{ "auto", FRAME_AUTO },
	{ "nanosleep", FRAME_NANOSLEEP },
	{ "clock_nanosleep", FRAME_CLOCK_NANOSLEEP },
	{ "usleep", FRAME_USLEEP },
	{ "sleep", FRAME_SLEEP },
	{ "poll", FRAME_POLL }, { "ppoll", FRAME_POLL },
	{ "select", FRAME_SELECT }, { "pselect", FRAME_SELECT },
	{ "wgetch", FRAME_WGETCH }, { "getch", FRAME_WGETCH },
	{ "doupdate", FRAME_DOUPDATE }, { "wrefresh", FRAME_DOUPDATE },
	{ "refresh", FRAME_DOUPDATE },
	{ "pause", FRAME_SIGWAIT }, { "sigsuspend", FRAME_SIGWAIT },
	{ "sigwait", FRAME_SIGWAIT }, { "sigwaitinfo", FRAME_SIGWAIT },
	{ "sigtimedwait", FRAME_SIGWAIT },
	{ "epoll_wait", FRAME_EPOLL }, { "epoll_pwait", FRAME_EPOLL },
	{ "spin", FRAME_SPIN },
	{ "present", FRAME_PRESENT },
	{ "SDL_GL_SwapWindow", FRAME_SDL_GL_SWAPWINDOW },
	{ "SDL_RenderPresent", FRAME_SDL_RENDERPRESENT },
	{ "SDL_UpdateWindowSurface", FRAME_SDL_UPDATEWINDOWSURFACE },
	{ "SDL_UpdateWindowSurfaceRects", FRAME_SDL_UPDATEWINDOWSURFACE },
	{ "glXSwapBuffers", FRAME_GLXSWAPBUFFERS },
	{ "eglSwapBuffers", FRAME_EGLSWAPBUFFERS },
	{ "SDL_Flip", FRAME_SDL_FLIP },
	{ "SDL_GL_SwapBuffers", FRAME_SDL_GL_SWAPBUFFERS },
	{ "SDL_UpdateRect", FRAME_SDL_UPDATERECT },
	{ "SDL_UpdateRects", FRAME_SDL_UPDATERECT },
};

#define NNAMES (sizeof names / sizeof names[0])

int
framerule_parse(const char *name, enum frame_rule *rule)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (strcmp(name, names[i].name) == 0) {
			*rule = names[i].rule;
			return 0;
		}
	return -1;
}

const char *
framerule_name(enum frame_rule rule)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (names[i].rule == rule)
			return names[i].name;
	return "?";
}

void
framerule_list(char *buf, size_t cap)
{
	size_t len = 0;

	if (cap == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < NNAMES && len < cap; i++) {
		int n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "",
		    names[i].name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}
