/* A small SDL2 test game drawing through one of SDL2's presentation paths:
 *
 *   sdl-game render|gl|surface [FRAMES] [--audio] [--nodelay] [--timer]
 *            [--busy F:M]
 *
 * A 160x120 window: a background whose colour follows SDL_GetTicks, and a
 * red 8x8 mark at the top left corner (where pictures start), and a
 * 16x16 square moving by a random velocity (rand(), seeded by getrandom,
 * so runs differ unless HOOK_SEED fixes them). Each frame
 * it presents, then waits SDL_Delay(16) (not with --nodelay), and writes
 * one status line to its terminal: frame, ticks, performance counter in
 * ms, timer callbacks (SDL_AddTimer every 100 ms, with --timer) and audio
 * callbacks (--audio: a callback device at 8 kHz, 256 samples). FRAMES
 * (default: forever) frames, then it quits. --busy F:M computes M million
 * loop turns at frame F (real time passing, no clock read, no wait: a
 * slow frame). */
#include <SDL2/SDL.h>
#include <SDL2/SDL_opengl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define W 160
#define H 120

static SDL_atomic_t timer_calls;
static SDL_atomic_t audio_calls;

static Uint32
on_timer(Uint32 interval, void *arg)
{
	(void)arg;
	SDL_AtomicAdd(&timer_calls, 1);
	return interval;
}

static void
on_audio(void *arg, Uint8 *stream, int len)
{
	(void)arg;
	memset(stream, 0, (size_t)len);
	SDL_AtomicAdd(&audio_calls, 1);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "render";
	long frames = -1;
	int audio = 0, delay = 1, timer = 0;
	long busy_at = -1, busy_m = 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--audio") == 0)
			audio = 1;
		else if (strcmp(argv[i], "--nodelay") == 0)
			delay = 0;
		else if (strcmp(argv[i], "--timer") == 0)
			timer = 1;
		else if (strcmp(argv[i], "--busy") == 0 && i + 1 < argc &&
		    sscanf(argv[i + 1], "%ld:%ld", &busy_at, &busy_m) == 2)
			i++;
		else
			frames = atol(argv[i]);
	}
	unsigned seed = 0;
	if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
		seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	int vx = rand() % 5 + 1, vy = rand() % 3 + 1;
	int px = rand() % (W - 16), py = rand() % (H - 16);

	if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER |
	    (audio ? SDL_INIT_AUDIO : 0)) != 0) {
		fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
		return 1;
	}
	int gl = strcmp(mode, "gl") == 0;
	SDL_Window *win = SDL_CreateWindow("sdl-game", 0, 0, W, H,
	    gl ? SDL_WINDOW_OPENGL : 0);
	if (win == NULL) {
		fprintf(stderr, "SDL_CreateWindow: %s\n", SDL_GetError());
		return 1;
	}
	SDL_Renderer *ren = NULL;
	SDL_GLContext ctx = NULL;
	if (gl) {
		ctx = SDL_GL_CreateContext(win);
		if (ctx == NULL) {
			fprintf(stderr, "SDL_GL_CreateContext: %s\n",
			    SDL_GetError());
			return 1;
		}
	} else if (strcmp(mode, "render") == 0) {
		ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
		if (ren == NULL) {
			fprintf(stderr, "SDL_CreateRenderer: %s\n",
			    SDL_GetError());
			return 1;
		}
	}
	if (timer)
		SDL_AddTimer(100, on_timer, NULL);
	if (audio) {
		SDL_AudioSpec want = { .freq = 8000, .format = AUDIO_S16SYS,
		    .channels = 1, .samples = 256, .callback = on_audio };
		SDL_AudioDeviceID dev = SDL_OpenAudioDevice(NULL, 0, &want,
		    NULL, 0);
		if (dev == 0)
			fprintf(stderr, "audio: %s\n", SDL_GetError());
		else
			SDL_PauseAudioDevice(dev, 0);
	}
	Uint64 pf = SDL_GetPerformanceFrequency();
	Uint64 p0 = SDL_GetPerformanceCounter();
	for (long f = 0; frames < 0 || f < frames; f++) {
		SDL_Event e;
		while (SDL_PollEvent(&e))
			if (e.type == SDL_QUIT)
				frames = f;
		if (f == busy_at) {
			volatile long spin = 0;
			for (long k = 0; k < busy_m * 1000000; k++)
				spin++;
		}
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
			SDL_GL_SwapWindow(win);
		} else if (ren != NULL) {
			SDL_SetRenderDrawColor(ren, r, g, b, 255);
			SDL_RenderClear(ren);
			SDL_SetRenderDrawColor(ren, 255, 255, 255, 255);
			SDL_Rect sq = { px, py, 16, 16 };
			SDL_RenderFillRect(ren, &sq);
			SDL_SetRenderDrawColor(ren, 255, 0, 0, 255);
			SDL_Rect mark = { 0, 0, 8, 8 };
			SDL_RenderFillRect(ren, &mark);
			SDL_RenderPresent(ren);
		} else {
			SDL_Surface *s = SDL_GetWindowSurface(win);
			SDL_FillRect(s, NULL, SDL_MapRGB(s->format, r, g, b));
			SDL_Rect sq = { px, py, 16, 16 };
			SDL_FillRect(s, &sq, SDL_MapRGB(s->format, 255, 255, 255));
			SDL_Rect mark = { 0, 0, 8, 8 };
			SDL_FillRect(s, &mark, SDL_MapRGB(s->format, 255, 0, 0));
			SDL_UpdateWindowSurface(win);
		}
		printf("\rframe %ld ticks %u perf %llu timer %d audio %d   ", f, t,
		    (unsigned long long)((SDL_GetPerformanceCounter() - p0) *
		    1000 / pf), SDL_AtomicGet(&timer_calls),
		    SDL_AtomicGet(&audio_calls));
		fflush(stdout);
		if (delay)
			SDL_Delay(16);
	}
	printf("\nquit\n");
	if (ctx)
		SDL_GL_DeleteContext(ctx);
	SDL_Quit();
	return 0;
}
