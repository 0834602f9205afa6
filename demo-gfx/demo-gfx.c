/* demo-gfx.c: entry point of the graphical demo, a small SDL2 arcade game:
 * the command line, the window and its render mode, the events (keys and
 * the mouse), the fixed-rate main loop (60 frames a second, paced with
 * SDL_GetTicks64 and SDL_Delay), and an optional audio callback. */
#include "gfx-game.h"
#include "draw.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Ticks of the coin sound left; the audio thread reads it. */
static volatile int beep_left;
static uint32_t beep_phase;

/* Print how to run and play the game. */
static void usage(FILE *f)
{
	fprintf(f,
	    "usage: demo-gfx [--gl | --surface] [--fps N] [--frames N] [--seed N]\n"
	    "                [--audio] [--help]\n"
	    "\n"
	    "A yellow square picks up gold coins and dodges red enemies; the\n"
	    "mouse shoots them. Three lives; every 100 points they get faster.\n"
	    "\n"
	    "  --gl        draw with OpenGL (SDL_GL_SwapWindow)\n"
	    "  --surface   draw into the window's surface (SDL_UpdateWindowSurface)\n"
	    "              (default: a software SDL_Renderer, SDL_RenderPresent)\n"
	    "  --fps N     frames a second (default 60; 0: as fast as it can)\n"
	    "  --frames N  quit after N frames (default: never)\n"
	    "  --seed N    the random generator's seed (default: getrandom())\n"
	    "  --audio     a sound for every coin (SDL audio, a callback thread)\n"
	    "  --help      show this help\n"
	    "\n"
	    "keys: arrows or WASD move; space dashes; p pauses; r restarts\n"
	    "      after the last life; q or Escape quits.\n"
	    "mouse: the left button shoots enemies near the cursor; the right\n"
	    "       one drops a coin for 5 points; the wheel sizes the shot.\n");
}

/* A decimal number from 0 to MAX into *OUT: 0, or -1. */
static int parse_num(const char *s, unsigned long long max,
    unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || *out > max)
		return -1;
	return 0;
}

/* The audio thread: a short square wave while a coin sound is due. */
static void audio_cb(void *arg, Uint8 *stream, int len)
{
	int16_t *out = (int16_t *)stream;

	(void)arg;
	for (int i = 0; i < len / 2; i++) {
		int on = beep_left > 0 && (beep_phase++ / 40) % 2;
		out[i] = (int16_t)(on ? 3000 : 0);
	}
	if (beep_left > 0)
		beep_left--;
}

static void open_audio(void)
{
	SDL_AudioSpec want = { .freq = 22050, .format = AUDIO_S16SYS,
		.channels = 1, .samples = 512, .callback = audio_cb };

	SDL_AudioDeviceID dev = 0;

	if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0 ||
	    (dev = SDL_OpenAudioDevice(NULL, 0, &want, NULL, 0)) == 0) {
		fprintf(stderr, "demo-gfx: no audio: %s\n", SDL_GetError());
		return;
	}
	SDL_PauseAudioDevice(dev, 0);
}

/* A key pressed (not a repeat): what it asks for. */
static enum action key_action(SDL_Keycode k)
{
	switch (k) {
	case SDLK_SPACE:
		return ACT_DASH;
	case SDLK_p:
		return ACT_PAUSE;
	case SDLK_r:
		return ACT_RESTART;
	case SDLK_q:
	case SDLK_ESCAPE:
		return ACT_QUIT;
	default:
		return ACT_NONE;
	}
}

/* Everything that happened since the last frame; 1 when asked to quit. */
static int handle_events(void)
{
	SDL_Event ev;
	int quit = 0;

	while (SDL_PollEvent(&ev)) {
		switch (ev.type) {
		case SDL_QUIT:
			quit = 1;
			break;
		case SDL_KEYDOWN:
			if (ev.key.repeat)
				break;
			world.last_key = ev.key.keysym.sym;
			if (key_action(ev.key.keysym.sym) == ACT_QUIT)
				quit = 1;
			else
				sim_action(key_action(ev.key.keysym.sym));
			break;
		case SDL_MOUSEMOTION:
			cursor.x = ev.motion.x;
			cursor.y = ev.motion.y;
			cursor.moves++;
			break;
		case SDL_MOUSEBUTTONDOWN:
			cursor.x = ev.button.x;
			cursor.y = ev.button.y;
			cursor.buttons |= 1u << (ev.button.button - 1);
			sim_click(ev.button.x, ev.button.y, ev.button.button);
			break;
		case SDL_MOUSEBUTTONUP:
			cursor.buttons &= ~(1u << (ev.button.button - 1));
			break;
		case SDL_MOUSEWHEEL:
			sim_wheel(ev.wheel.direction == SDL_MOUSEWHEEL_FLIPPED ?
			    -ev.wheel.y : ev.wheel.y);
			break;
		}
	}
	/* Movement follows the keys held now, as SDL's keyboard state has it. */
	const Uint8 *k = SDL_GetKeyboardState(NULL);
	world.held = (uint32_t)((k[SDL_SCANCODE_LEFT] || k[SDL_SCANCODE_A]) |
	    (k[SDL_SCANCODE_RIGHT] || k[SDL_SCANCODE_D]) << 1 |
	    (k[SDL_SCANCODE_UP] || k[SDL_SCANCODE_W]) << 2 |
	    (k[SDL_SCANCODE_DOWN] || k[SDL_SCANCODE_S]) << 3);
	return quit;
}

int main(int argc, char **argv)
{
	enum render_mode mode = MODE_RENDERER;
	unsigned long long fps = 60, frames = 0, seed = 0, v;
	int have_seed = 0, audio = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--gl") == 0) {
			mode = MODE_GL;
		} else if (strcmp(a, "--surface") == 0) {
			mode = MODE_SURFACE;
		} else if (strcmp(a, "--audio") == 0) {
			audio = 1;
		} else if ((strcmp(a, "--fps") == 0 || strcmp(a, "--frames") == 0 ||
		    strcmp(a, "--seed") == 0) && i + 1 < argc) {
			int is_seed = strcmp(a, "--seed") == 0;
			if (parse_num(argv[++i], is_seed ? UINT64_MAX : 1000000000,
			    &v) != 0) {
				fprintf(stderr, "demo-gfx: %s: not a number: %s\n",
				    a, argv[i]);
				return 2;
			}
			if (is_seed)
				seed = v, have_seed = 1;
			else if (strcmp(a, "--fps") == 0)
				fps = v;
			else
				frames = v;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!have_seed && getrandom(&seed, sizeof seed, 0) != sizeof seed) {
		perror("demo-gfx: getrandom");
		return 1;
	}

	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		fprintf(stderr, "demo-gfx: SDL_Init: %s\n", SDL_GetError());
		return 1;
	}
	SDL_Window *win = SDL_CreateWindow("demo-gfx", SDL_WINDOWPOS_CENTERED,
	    SDL_WINDOWPOS_CENTERED, GFX_W, GFX_H,
	    mode == MODE_GL ? SDL_WINDOW_OPENGL : 0);
	struct draw_ctx d = { 0 };
	if (win == NULL || draw_open(&d, win, mode) != 0) {
		fprintf(stderr, "demo-gfx: %s: %s\n", win ? "drawing" : "window",
		    SDL_GetError());
		SDL_Quit();
		return 1;
	}
	SDL_ShowCursor(SDL_DISABLE);
	fprintf(stderr, "demo-gfx: video %s, %s\n", SDL_GetCurrentVideoDriver(),
	    mode == MODE_GL ? "opengl" : mode == MODE_SURFACE ? "surface" :
	    "renderer");
	if (audio)
		open_audio();
	sim_init(seed);

	unsigned long long n = 0;
	int32_t coins = 0;
	double next = (double)SDL_GetTicks64();
	while (frames == 0 || n < frames) {
		if (handle_events())
			break;
		sim_tick();
		if (world.coins != coins) {
			coins = world.coins;
			beep_left = 4;
		}
		draw_frame(&d);
		n++;
		if (fps == 0)
			continue;
		next += 1000.0 / (double)fps;
		double now = (double)SDL_GetTicks64();
		if (next > now)
			SDL_Delay((Uint32)(next - now));
		else if (now - next > 4 * 1000.0 / (double)fps)
			next = now;   /* far behind: drop the backlog */
	}
	printf("demo-gfx: %llu frames, score %d\n", n, world.score);
	draw_close(&d);
	SDL_DestroyWindow(win);
	SDL_Quit();
	return 0;
}
