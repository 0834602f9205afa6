/* A test game that presents from a thread that is not its main thread:
 * gl-thread-game [--join|--linger] [--late] [FRAMES]. The main thread starts a render
 * thread, which opens the display and draws glx-game's picture on a
 * 160x120 window with GLX (the background's colour from getrandom(), a red
 * mark at the top left, a bouncing white square), counts KeyPress events,
 * sleeps 16 ms a frame (nanosleep) and writes a status line on the
 * terminal: frame, clock_gettime in ms, keys, and the main thread's ticks.
 * Meanwhile the main thread sleeps 30 ms at a time (usleep) counting
 * ticks, or with --join only waits for the render thread (pthread_join).
 * With --linger the main thread goes on sleeping and counting once the
 * render thread has ended (after FRAMES), writing "after N" lines. With
 * --late the main thread, once pthread_create returns, first computes
 * (a busy loop, no call the shim sees) until the render thread is about
 * to present its first picture and a while longer: its first sleep or
 * join comes after that presentation, as on a machine where the main
 * thread is slow. */
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define W 160
#define H 120

static long frames = -1;
static _Atomic int done;
static _Atomic long main_ticks;
static _Atomic int presenting;

static long
mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

static void *
render(void *arg)
{
	(void)arg;
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		fprintf(stderr, "XOpenDisplay failed\n");
		exit(1);
	}
	int attrs[] = { GLX_RGBA, GLX_DOUBLEBUFFER, GLX_RED_SIZE, 8,
	    GLX_GREEN_SIZE, 8, GLX_BLUE_SIZE, 8, None };
	XVisualInfo *vi = glXChooseVisual(d, DefaultScreen(d), attrs);
	if (vi == NULL) {
		fprintf(stderr, "glXChooseVisual failed\n");
		exit(1);
	}
	Window root = RootWindow(d, vi->screen);
	XSetWindowAttributes swa = {
		.colormap = XCreateColormap(d, root, vi->visual, AllocNone),
		.event_mask = ExposureMask | KeyPressMask,
	};
	Window win = XCreateWindow(d, root, 0, 0, W, H, 0, vi->depth,
	    InputOutput, vi->visual, CWColormap | CWEventMask, &swa);
	XMapWindow(d, win);
	GLXContext ctx = glXCreateContext(d, vi, NULL, True);
	glXMakeCurrent(d, win, ctx);
	unsigned seed = 0;
	if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
		seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	float bg[3] = { (rand() % 200) / 255.0f, (rand() % 200) / 255.0f,
	    (rand() % 200) / 255.0f };
	int vx = rand() % 5 + 1, vy = rand() % 3 + 1;
	int px = rand() % (W - 16), py = rand() % (H - 16);
	int keys = 0;
	long t0 = mono_ms();
	for (long f = 0; frames < 0 || f < frames; f++) {
		while (XPending(d)) {
			XEvent e;
			XNextEvent(d, &e);
			if (e.type == KeyPress)
				keys++;
		}
		long t = mono_ms() - t0;
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
		glClearColor(bg[0], bg[1], bg[2], 1);
		glClear(GL_COLOR_BUFFER_BIT);
		glEnable(GL_SCISSOR_TEST);
		glScissor(px, H - 16 - py, 16, 16);
		glClearColor(1, 1, 1, 1);
		glClear(GL_COLOR_BUFFER_BIT);
		glScissor(0, H - 8, 8, 8);
		glClearColor(1, 0, 0, 1);
		glClear(GL_COLOR_BUFFER_BIT);
		glDisable(GL_SCISSOR_TEST);
		atomic_store(&presenting, 1);
		glXSwapBuffers(d, win);
		printf("\rframe %ld ms %ld keys %d main %ld   ", f, t, keys,
		    atomic_load(&main_ticks));
		fflush(stdout);
		struct timespec ts = { 0, 16000000 };
		nanosleep(&ts, NULL);
	}
	glXMakeCurrent(d, None, NULL);
	glXDestroyContext(d, ctx);
	XCloseDisplay(d);
	atomic_store(&done, 1);
	return NULL;
}

int
main(int argc, char **argv)
{
	int join = 0, linger = 0, late = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--join") == 0)
			join = 1;
		else if (strcmp(argv[i], "--linger") == 0)
			linger = 1;
		else if (strcmp(argv[i], "--late") == 0)
			late = 1;
		else
			frames = atol(argv[i]);
	}
	pthread_t t;
	if (pthread_create(&t, NULL, render, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	if (late) {
		/* Spin until the render thread presents, then about as
		 * long again as its hand-over takes. */
		while (!atomic_load(&presenting))
			;
		for (volatile long spin = 0; spin < 50000000L; spin++)
			;
	}
	while (!join && !atomic_load(&done)) {
		usleep(30000);
		atomic_fetch_add(&main_ticks, 1);
	}
	pthread_join(t, NULL);
	for (long n = 1; linger; n++) {
		usleep(30000);
		printf("\nafter %ld ms %ld", n, mono_ms());
		fflush(stdout);
	}
	printf("\nquit\n");
	return 0;
}
