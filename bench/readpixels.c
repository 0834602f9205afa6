/* bench-readpixels: the cost of a bare glReadPixels, to set beside what
 * the shim's screenshot costs. A W x H double-buffered GLX window (default
 * 640x480) on $DISPLAY; each round clears it, reads the back buffer as
 * RGBA with glReadPixels, and swaps; prints the median read in ns over
 * ROUNDS rounds (default 200). No shim: run it unhooked. */
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long
now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int w = argc > 1 ? atoi(argv[1]) : 640, h = argc > 2 ? atoi(argv[2]) : 480;
	int rounds = argc > 3 ? atoi(argv[3]) : 200;
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		fprintf(stderr, "bench-readpixels: no display\n");
		return 1;
	}
	int attrs[] = { GLX_RGBA, GLX_DOUBLEBUFFER, GLX_RED_SIZE, 8,
	    GLX_GREEN_SIZE, 8, GLX_BLUE_SIZE, 8, None };
	XVisualInfo *vi = glXChooseVisual(d, DefaultScreen(d), attrs);
	if (vi == NULL) {
		fprintf(stderr, "bench-readpixels: no visual\n");
		return 1;
	}
	Window root = RootWindow(d, vi->screen);
	XSetWindowAttributes swa = {
		.colormap = XCreateColormap(d, root, vi->visual, AllocNone) };
	Window win = XCreateWindow(d, root, 0, 0, (unsigned)w, (unsigned)h, 0,
	    vi->depth, InputOutput, vi->visual, CWColormap, &swa);
	XMapWindow(d, win);
	GLXContext ctx = glXCreateContext(d, vi, NULL, True);
	glXMakeCurrent(d, win, ctx);
	unsigned char *buf = malloc((size_t)w * (size_t)h * 4);
	long long *t = malloc(sizeof *t * (size_t)rounds);
	for (int i = 0; i < rounds; i++) {
		glClearColor((float)(i % 7) / 7, 0.5f, 0.25f, 1);
		glClear(GL_COLOR_BUFFER_BIT);
		long long t0 = now_ns();
		glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, buf);
		t[i] = now_ns() - t0;
		glXSwapBuffers(d, win);
	}
	qsort(t, (size_t)rounds, sizeof *t, cmp);
	printf("%lld\n", t[rounds / 2]);
	glXMakeCurrent(d, None, NULL);
	glXDestroyContext(d, ctx);
	XCloseDisplay(d);
	return 0;
}
