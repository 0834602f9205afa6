/* An SDL 1.2 game that prints what input it receives, each line tagged with
 * its frame (one turn of its loop: events, state, flip, SDL_Delay): every
 * keyboard and mouse event from SDL_PollEvent (with unicode on), and the
 * keyboard, modifier and mouse state (SDL_GetKeyState, SDL_GetModState,
 * SDL_GetMouseState) whenever it changes. Ends on Escape. */
#include <stdio.h>
#include <string.h>

#include <SDL.h>

int
main(void)
{
	char prev[512] = "", cur[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		printf("SDL_Init: %s\n", SDL_GetError());
		return 1;
	}
	SDL_Surface *s = SDL_SetVideoMode(320, 240, 32, SDL_SWSURFACE);
	if (s == NULL) {
		printf("SDL_SetVideoMode: %s\n", SDL_GetError());
		return 1;
	}
	SDL_WM_SetCaption("sdl1-input", NULL);
	SDL_EnableUNICODE(1);
	printf("ready\n");
	for (int f = 0;; f++) {
		SDL_Event e;
		while (SDL_PollEvent(&e)) {
			switch (e.type) {
			case SDL_QUIT:
				printf("F%d quit\n", f);
				return 0;
			case SDL_KEYDOWN:
			case SDL_KEYUP:
				printf("F%d key %s sym=%d mod=%#x unicode=%d\n", f,
				    e.type == SDL_KEYDOWN ? "down" : "up",
				    e.key.keysym.sym, e.key.keysym.mod,
				    e.key.keysym.unicode);
				if (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_ESCAPE)
					return 0;
				break;
			case SDL_MOUSEMOTION:
				printf("F%d motion %d,%d rel %d,%d state %u\n", f,
				    e.motion.x, e.motion.y, e.motion.xrel,
				    e.motion.yrel, e.motion.state);
				break;
			case SDL_MOUSEBUTTONDOWN:
			case SDL_MOUSEBUTTONUP:
				printf("F%d button %s b=%d at %d,%d\n", f,
				    e.type == SDL_MOUSEBUTTONDOWN ? "down" : "up",
				    e.button.button, e.button.x, e.button.y);
				break;
			default:
				break;
			}
		}
		int n, x, y, len = 0;
		Uint8 *k = SDL_GetKeyState(&n);
		len += snprintf(cur + len, sizeof cur - len, "keys=");
		for (int i = 0; i < n && len < 400; i++)
			if (k[i])
				len += snprintf(cur + len, sizeof cur - len, "%d,", i);
		Uint8 b = SDL_GetMouseState(&x, &y);
		snprintf(cur + len, sizeof cur - len, " mod=%#x mouse=%d,%d buttons=%u",
		    SDL_GetModState(), x, y, b);
		if (strcmp(cur, prev) != 0) {
			printf("F%d state %s\n", f, cur);
			strcpy(prev, cur);
		}
		SDL_Flip(s);
		SDL_Delay(16);
	}
}
