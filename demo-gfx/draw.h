/* draw.h: the drawing context of the graphical demo's three render modes
 * (draw.c). */
#ifndef DEMO_GFX_DRAW_H
#define DEMO_GFX_DRAW_H

#include <SDL.h>

#include "gfx-game.h"

struct draw_ctx {
	enum render_mode mode;
	SDL_Window *win;
	SDL_Renderer *ren;     /* MODE_RENDERER */
	SDL_Surface *surf;     /* MODE_SURFACE: the window's own */
	SDL_GLContext gl;      /* MODE_GL */
};

int draw_open(struct draw_ctx *d, SDL_Window *win, enum render_mode mode);
void draw_close(struct draw_ctx *d);

#endif
