/* draw.c: the graphical demo's picture, made of filled rectangles, and
 * the three ways it reaches the window: an SDL_Renderer (software), the
 * window's own surface, or OpenGL (legacy immediate mode, which Mesa's
 * software rasterizer runs anywhere). */
#include "gfx-game.h"
#include "draw.h"

#include <GL/gl.h>

/* Colours, 0xRRGGBB. */
#define C_BACK   0x101830
#define C_GRID   0x18223f
#define C_HUD    0x2a2f4a
#define C_PLAYER 0xf0d020
#define C_HURT   0xf08080
#define C_COIN   0xffb000
#define C_ENEMY  0xe03030
#define C_SPARK  0xffffff
#define C_CURSOR 0x40ff60
#define C_DIGIT  0xe0e0ff
#define C_LIFE   0xff4060
#define C_PAUSE  0x8080a0

void draw_rect(struct draw_ctx *d, int x, int y, int w, int h, uint32_t rgb)
{
	uint8_t r = (uint8_t)(rgb >> 16), g = (uint8_t)(rgb >> 8),
	    b = (uint8_t)rgb;

	if (w <= 0 || h <= 0)
		return;
	switch (d->mode) {
	case MODE_RENDERER: {
		SDL_Rect rc = { x, y, w, h };
		SDL_SetRenderDrawColor(d->ren, r, g, b, 255);
		SDL_RenderFillRect(d->ren, &rc);
		break;
	}
	case MODE_SURFACE: {
		SDL_Rect rc = { x, y, w, h };
		SDL_FillRect(d->surf, &rc, SDL_MapRGB(d->surf->format, r, g, b));
		break;
	}
	case MODE_GL:
		glColor3ub(r, g, b);
		glRecti(x, y, x + w, y + h);
		break;
	}
}

/* One decimal digit as seven segments, 12x20 pixels, at (X, Y). */
static void draw_digit(struct draw_ctx *d, int x, int y, int v)
{
	/* segments a b c d e f g, bit 0 = a */
	static const uint8_t seg[10] = {
		0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f
	};
	static const struct { int x, y, w, h; } box[7] = {
		{ 2, 0, 8, 2 }, { 10, 2, 2, 7 }, { 10, 11, 2, 7 },
		{ 2, 18, 8, 2 }, { 0, 11, 2, 7 }, { 0, 2, 2, 7 }, { 2, 9, 8, 2 },
	};
	for (int s = 0; s < 7; s++)
		if (seg[v % 10] & (1 << s))
			draw_rect(d, x + box[s].x, y + box[s].y, box[s].w, box[s].h,
			    C_DIGIT);
}

/* A number, right-aligned to end at X. */
static void draw_number(struct draw_ctx *d, int x, int y, uint32_t v)
{
	do {
		x -= 16;
		draw_digit(d, x, y, (int)(v % 10));
		v /= 10;
	} while (v != 0);
}

/* The whole picture of the world as it stands, then shown. */
void draw_frame(struct draw_ctx *d)
{
	draw_rect(d, 0, 0, GFX_W, GFX_H, C_BACK);
	for (int x = 0; x < GFX_W; x += 40)
		draw_rect(d, x, HUD_H, 1, GFX_H - HUD_H, C_GRID);
	for (int y = HUD_H; y < GFX_H; y += 40)
		draw_rect(d, 0, y, GFX_W, 1, C_GRID);
	draw_rect(d, 0, 0, GFX_W, HUD_H, C_HUD);
	draw_number(d, 120, 10, (uint32_t)world.score);
	draw_number(d, GFX_W - 10, 10, world.tick);
	for (int i = 0; i < player.lives; i++)
		draw_rect(d, 150 + 24 * i, 14, 14, 14, C_LIFE);

	for (int i = 0; i < entity_count; i++) {
		const struct entity *e = &entities[i];
		uint32_t c = e->kind == ENT_COIN ? C_COIN :
		    e->kind == ENT_ENEMY ? C_ENEMY : C_SPARK;
		if (e->alive)
			draw_rect(d, (int)e->x - e->size / 2,
			    (int)e->y - e->size / 2, e->size, e->size, c);
	}
	/* blinking while it may not be hurt */
	if (player.invuln == 0 || (player.invuln / 4) % 2 == 0)
		draw_rect(d, (int)player.x, (int)player.y, PLAYER_SIZE,
		    PLAYER_SIZE, player.invuln ? C_HURT : C_PLAYER);

	/* the cursor: a cross, and the shot's reach as four corners */
	int r = cursor.radius;
	draw_rect(d, cursor.x - 8, cursor.y, 17, 1, C_CURSOR);
	draw_rect(d, cursor.x, cursor.y - 8, 1, 17, C_CURSOR);
	draw_rect(d, cursor.x - r, cursor.y - r, 4, 4, C_CURSOR);
	draw_rect(d, cursor.x + r - 4, cursor.y - r, 4, 4, C_CURSOR);
	draw_rect(d, cursor.x - r, cursor.y + r - 4, 4, 4, C_CURSOR);
	draw_rect(d, cursor.x + r - 4, cursor.y + r - 4, 4, 4, C_CURSOR);

	if (world.state == STATE_PAUSED) {
		draw_rect(d, GFX_W / 2 - 30, GFX_H / 2 - 40, 20, 80, C_PAUSE);
		draw_rect(d, GFX_W / 2 + 10, GFX_H / 2 - 40, 20, 80, C_PAUSE);
	} else if (world.state == STATE_OVER) {
		draw_rect(d, 0, GFX_H / 2 - 20, GFX_W, 40, C_ENEMY);
	}

	switch (d->mode) {
	case MODE_RENDERER:
		SDL_RenderPresent(d->ren);
		break;
	case MODE_SURFACE:
		SDL_UpdateWindowSurface(d->win);
		break;
	case MODE_GL:
		SDL_GL_SwapWindow(d->win);
		break;
	}
}

/* Prepare MODE's way of drawing into WIN: 0, or -1 with SDL's error. */
int draw_open(struct draw_ctx *d, SDL_Window *win, enum render_mode mode)
{
	d->mode = mode;
	d->win = win;
	switch (mode) {
	case MODE_RENDERER:
		d->ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
		return d->ren ? 0 : -1;
	case MODE_SURFACE:
		d->surf = SDL_GetWindowSurface(win);
		return d->surf ? 0 : -1;
	case MODE_GL:
		d->gl = SDL_GL_CreateContext(win);
		if (d->gl == NULL)
			return -1;
		SDL_GL_SetSwapInterval(0);
		glViewport(0, 0, GFX_W, GFX_H);
		glMatrixMode(GL_PROJECTION);
		glLoadIdentity();
		glOrtho(0, GFX_W, GFX_H, 0, -1, 1);
		glMatrixMode(GL_MODELVIEW);
		glLoadIdentity();
		glDisable(GL_DEPTH_TEST);
		return 0;
	}
	return -1;
}

void draw_close(struct draw_ctx *d)
{
	if (d->ren != NULL)
		SDL_DestroyRenderer(d->ren);
	if (d->gl != NULL)
		SDL_GL_DeleteContext(d->gl);
}
