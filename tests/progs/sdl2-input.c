/* An SDL2 game that prints what input it receives, each line tagged with
 * its frame (one turn of its loop: events, state, present, SDL_Delay):
 * every keyboard, mouse and text event from SDL_PollEvent, and the keyboard,
 * modifier and mouse state (SDL_GetKeyboardState, SDL_GetModState,
 * SDL_GetMouseState) whenever it changes. What it received is also its
 * state (`seen`, in its data: recorded raw, compared by a replay). Ends on
 * Escape or a window close. With --quiet it prints only "ready" (on
 * standard error). */
#include <stdio.h>
#include <string.h>

#include <SDL.h>

/* Its state: what input did to it. */
static struct {
	int keydowns, keyups, texts, motions, buttons, wheel;
	int x, y, mod, last_sc;
	char text[64];
} seen;

static int quiet;
#define say(...) do { if (!quiet) printf(__VA_ARGS__); } while (0)

int
main(int argc, char **argv)
{
	char prev[512] = "", cur[512];

	/* --quiet: print nothing but "ready" (for bench-gfx-input). */
	quiet = argc > 1 && strcmp(argv[1], "--quiet") == 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		printf("SDL_Init: %s\n", SDL_GetError());
		return 1;
	}
	SDL_Window *w = SDL_CreateWindow("sdl2-input", 0, 0, 320, 240, 0);
	if (w == NULL) {
		printf("SDL_CreateWindow: %s\n", SDL_GetError());
		return 1;
	}
	SDL_StartTextInput();
	fprintf(quiet ? stderr : stdout, "ready\n");
	for (int f = 0;; f++) {
		SDL_Event e;
		while (SDL_PollEvent(&e)) {
			switch (e.type) {
			case SDL_QUIT:
				say("F%d quit\n", f);
				return 0;
			case SDL_KEYDOWN:
			case SDL_KEYUP:
				if (e.type == SDL_KEYDOWN)
					seen.keydowns++;
				else
					seen.keyups++;
				seen.last_sc = e.key.keysym.scancode;
				seen.mod = e.key.keysym.mod;
				say("F%d key %s sc=%d sym=%d mod=%#x repeat=%d\n", f,
				    e.type == SDL_KEYDOWN ? "down" : "up",
				    e.key.keysym.scancode, e.key.keysym.sym,
				    e.key.keysym.mod, e.key.repeat);
				if (e.type == SDL_KEYDOWN &&
				    e.key.keysym.sym == SDLK_ESCAPE)
					return 0;
				break;
			case SDL_TEXTINPUT:
				seen.texts++;
				strncat(seen.text, e.text.text,
				    sizeof seen.text - strlen(seen.text) - 1);
				say("F%d text '%s'\n", f, e.text.text);
				break;
			case SDL_MOUSEMOTION:
				seen.motions++;
				seen.x = e.motion.x;
				seen.y = e.motion.y;
				say("F%d motion %d,%d rel %d,%d state %u\n", f,
				    e.motion.x, e.motion.y, e.motion.xrel,
				    e.motion.yrel, e.motion.state);
				break;
			case SDL_MOUSEBUTTONDOWN:
			case SDL_MOUSEBUTTONUP:
				seen.buttons += e.button.button;
				say("F%d button %s b=%d at %d,%d\n", f,
				    e.type == SDL_MOUSEBUTTONDOWN ? "down" : "up",
				    e.button.button, e.button.x, e.button.y);
				break;
			case SDL_MOUSEWHEEL:
				seen.wheel += e.wheel.y;
				say("F%d wheel %d\n", f, e.wheel.y);
				break;
			default:
				break;
			}
		}
		int n, x, y, len = 0;
		const Uint8 *k = SDL_GetKeyboardState(&n);
		len += snprintf(cur + len, sizeof cur - len, "keys=");
		for (int i = 0; i < n && len < 400; i++)
			if (k[i])
				len += snprintf(cur + len, sizeof cur - len, "%d,", i);
		Uint32 b = SDL_GetMouseState(&x, &y);
		snprintf(cur + len, sizeof cur - len, " mod=%#x mouse=%d,%d buttons=%u",
		    SDL_GetModState(), x, y, b);
		if (strcmp(cur, prev) != 0) {
			say("F%d state %s\n", f, cur);
			strcpy(prev, cur);
		}
		SDL_UpdateWindowSurface(w);
		SDL_Delay(16);
	}
}
