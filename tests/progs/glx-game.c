/* A test game on plain Xlib and GLX, no SDL: glx-game [FRAMES]. The same
 * picture as sdl-game on a 160x120 window, shown by glXSwapBuffers; each
 * frame it drains X events (XPending), makes a round trip to the X server
 * (XSync: libxcb waits on the X socket), sleeps 16 ms with nanosleep and
 * writes a status line (frame, clock_gettime in ms) on its terminal. */
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define W 160
#define H 120

static long
mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	long frames = argc > 1 ? atol(argv[1]) : -1;
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		fprintf(stderr, "XOpenDisplay failed\n");
		return 1;
	}
	int attrs[] = { GLX_RGBA, GLX_DOUBLEBUFFER, GLX_RED_SIZE, 8,
	    GLX_GREEN_SIZE, 8, GLX_BLUE_SIZE, 8, None };
	XVisualInfo *vi = glXChooseVisual(d, DefaultScreen(d), attrs);
	if (vi == NULL) {
		fprintf(stderr, "glXChooseVisual failed\n");
		return 1;
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
	int vx = rand() % 5 + 1, vy = rand() % 3 + 1;
	int px = rand() % (W - 16), py = rand() % (H - 16);
	long t0 = mono_ms();
	for (long f = 0; frames < 0 || f < frames; f++) {
		while (XPending(d)) {
			XEvent e;
			XNextEvent(d, &e);
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
		glClearColor((t / 4 % 256) / 255.0f, (t / 16 % 256) / 255.0f,
		    0.25f, 1);
		glClear(GL_COLOR_BUFFER_BIT);
		glEnable(GL_SCISSOR_TEST);
		glScissor(px, H - 16 - py, 16, 16);
		glClearColor(1, 1, 1, 1);
		glClear(GL_COLOR_BUFFER_BIT);
		glScissor(0, H - 8, 8, 8);
		glClearColor(1, 0, 0, 1);
		glClear(GL_COLOR_BUFFER_BIT);
		glDisable(GL_SCISSOR_TEST);
		glXSwapBuffers(d, win);
		XSync(d, False);
		printf("\rframe %ld ms %ld   ", f, t);
		fflush(stdout);
		struct timespec ts = { 0, 16000000 };
		nanosleep(&ts, NULL);
	}
	printf("\nquit\n");
	glXMakeCurrent(d, None, NULL);
	glXDestroyContext(d, ctx);
	XCloseDisplay(d);
	return 0;
}
