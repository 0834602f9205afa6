/* A small SDL 1.2 test game: sdl12-game flip|gl|rect [FRAMES]. The same
 * picture as sdl-game (a background following SDL_GetTicks, a red 8x8
 * mark at the top left, a white 16x16 square moving by a random velocity)
 * on a 160x120 video mode, shown by SDL_Flip, SDL_GL_SwapBuffers or
 * SDL_UpdateRect; SDL_Delay(16) a frame, a status line a frame on its
 * terminal. */
#include <SDL/SDL.h>
#include <SDL/SDL_opengl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define W 160
#define H 120

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "flip";
	long frames = argc > 2 ? atol(argv[2]) : -1;
	int gl = strcmp(mode, "gl") == 0;

	unsigned seed = 0;
	if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
		seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	int vx = rand() % 5 + 1, vy = rand() % 3 + 1;
	int px = rand() % (W - 16), py = rand() % (H - 16);
	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
		return 1;
	}
	if (gl)
		SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
	SDL_Surface *s = SDL_SetVideoMode(W, H, gl ? 0 : 32,
	    gl ? SDL_OPENGL : SDL_SWSURFACE);
	if (s == NULL) {
		fprintf(stderr, "SDL_SetVideoMode: %s\n", SDL_GetError());
		return 1;
	}
	for (long f = 0; frames < 0 || f < frames; f++) {
		SDL_Event e;
		while (SDL_PollEvent(&e))
			if (e.type == SDL_QUIT)
				frames = f;
		Uint32 t = SDL_GetTicks();
		px += vx;
		py += vy;
		if (px < 0 || px > W - 16) {
			vx = -vx;
			px += 2 * vx;
		}
		if (py < 0 || py > H - 16) {
			vy = -vy;
			py += 2 * vy;
		}
		Uint8 r = (Uint8)(t / 4), g = (Uint8)(t / 16), b = 64;
		if (gl) {
			glClearColor(r / 255.0f, g / 255.0f, b / 255.0f, 1);
			glClear(GL_COLOR_BUFFER_BIT);
			glEnable(GL_SCISSOR_TEST);
			glScissor(px, H - 16 - py, 16, 16);
			glClearColor(1, 1, 1, 1);
			glClear(GL_COLOR_BUFFER_BIT);
			glScissor(0, H - 8, 8, 8);
			glClearColor(1, 0, 0, 1);
			glClear(GL_COLOR_BUFFER_BIT);
			glDisable(GL_SCISSOR_TEST);
			SDL_GL_SwapBuffers();
		} else {
			SDL_FillRect(s, NULL, SDL_MapRGB(s->format, r, g, b));
			SDL_Rect sq = { (Sint16)px, (Sint16)py, 16, 16 };
			SDL_FillRect(s, &sq, SDL_MapRGB(s->format, 255, 255, 255));
			SDL_Rect mark = { 0, 0, 8, 8 };
			SDL_FillRect(s, &mark, SDL_MapRGB(s->format, 255, 0, 0));
			if (strcmp(mode, "rect") == 0)
				SDL_UpdateRect(s, 0, 0, 0, 0);
			else
				SDL_Flip(s);
		}
		printf("\rframe %ld ticks %u   ", f, t);
		fflush(stdout);
		SDL_Delay(16);
	}
	printf("\nquit\n");
	SDL_Quit();
	return 0;
}
