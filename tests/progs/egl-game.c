/* A test game on Xlib, EGL and OpenGL ES 2, no SDL: egl-game [FRAMES].
 * A 160x120 window in a colour drawn from getrandom() (so HOOK_SEED fixes
 * it), a red mark at the top left, a white square that bounces and a green
 * one the arrow keys move (KeyPress events read with XNextEvent), shown by
 * eglSwapBuffers. Before each swap it leaves a framebuffer object of its
 * own bound and a pack alignment of 1, and after it checks both are as it
 * left them and that glGetError has nothing: whoever reads the picture in
 * between must put the state back. Each frame it sleeps 16 ms (nanosleep)
 * and writes a status line on its terminal: frame, clock_gettime in ms,
 * keys received, the green square's place, the bad frames counted. */
#include <EGL/egl.h>
#include <GLES2/gl2.h>
#include <X11/Xlib.h>
#include <X11/keysym.h>
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

/* Fill a rectangle (top-left origin) with one colour. */
static void
rect(int x, int y, int w, int h, float r, float g, float b)
{
	glScissor(x, H - y - h, w, h);
	glClearColor(r, g, b, 1);
	glClear(GL_COLOR_BUFFER_BIT);
}

int
main(int argc, char **argv)
{
	long frames = argc > 1 ? atol(argv[1]) : -1;
	Display *xd = XOpenDisplay(NULL);
	if (xd == NULL) {
		fprintf(stderr, "XOpenDisplay failed\n");
		return 1;
	}
	Window win = XCreateSimpleWindow(xd, DefaultRootWindow(xd), 0, 0, W, H,
	    0, 0, 0);
	XSelectInput(xd, win, ExposureMask | KeyPressMask);
	XMapWindow(xd, win);

	EGLDisplay d = eglGetDisplay((EGLNativeDisplayType)xd);
	EGLint major, minor;
	if (d == EGL_NO_DISPLAY || !eglInitialize(d, &major, &minor)) {
		fprintf(stderr, "eglInitialize failed\n");
		return 1;
	}
	EGLint cattrs[] = { EGL_SURFACE_TYPE, EGL_WINDOW_BIT, EGL_RED_SIZE, 8,
	    EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_RENDERABLE_TYPE,
	    EGL_OPENGL_ES2_BIT, EGL_NONE };
	EGLConfig cfg;
	EGLint n = 0;
	if (!eglChooseConfig(d, cattrs, &cfg, 1, &n) || n < 1) {
		fprintf(stderr, "eglChooseConfig failed\n");
		return 1;
	}
	eglBindAPI(EGL_OPENGL_ES_API);
	EGLSurface surf = eglCreateWindowSurface(d, cfg,
	    (EGLNativeWindowType)win, NULL);
	EGLint xattrs[] = { EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE };
	EGLContext ctx = eglCreateContext(d, cfg, EGL_NO_CONTEXT, xattrs);
	if (surf == EGL_NO_SURFACE || ctx == EGL_NO_CONTEXT ||
	    !eglMakeCurrent(d, surf, surf, ctx)) {
		fprintf(stderr, "EGL surface or context failed\n");
		return 1;
	}
	fprintf(stderr, "egl-game: EGL %d.%d, %s\n", major, minor,
	    (const char *)glGetString(GL_VERSION));

	/* The framebuffer object the game leaves bound across the swap. */
	GLuint fbo, rb;
	glGenFramebuffers(1, &fbo);
	glGenRenderbuffers(1, &rb);
	glBindRenderbuffer(GL_RENDERBUFFER, rb);
	glRenderbufferStorage(GL_RENDERBUFFER, GL_RGB565, 4, 4);
	glBindFramebuffer(GL_FRAMEBUFFER, fbo);
	glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0,
	    GL_RENDERBUFFER, rb);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);

	unsigned seed = 0;
	if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
		seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	float bg[3] = { (rand() % 200) / 255.0f, (rand() % 200) / 255.0f,
	    (rand() % 200) / 255.0f };
	int vx = rand() % 5 + 1, vy = rand() % 3 + 1;
	int px = rand() % (W - 16), py = rand() % (H - 16);
	int gx = W / 2, gy = H / 2, keys = 0, bad = 0;
	long t0 = mono_ms();
	for (long f = 0; frames < 0 || f < frames; f++) {
		while (XPending(xd)) {
			XEvent e;
			XNextEvent(xd, &e);
			if (e.type != KeyPress)
				continue;
			keys++;
			KeySym k = XLookupKeysym(&e.xkey, 0);
			if (k == XK_Left)
				gx -= 8;
			else if (k == XK_Right)
				gx += 8;
			else if (k == XK_Up)
				gy -= 8;
			else if (k == XK_Down)
				gy += 8;
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
		glBindFramebuffer(GL_FRAMEBUFFER, 0);
		glViewport(0, 0, W, H);
		glDisable(GL_SCISSOR_TEST);
		glClearColor(bg[0], bg[1], bg[2], 1);
		glClear(GL_COLOR_BUFFER_BIT);
		glEnable(GL_SCISSOR_TEST);
		rect(px, py, 16, 16, 1, 1, 1);
		rect(gx, gy, 8, 8, 0, 1, 0);
		rect(0, 0, 8, 8, 1, 0, 0);
		glDisable(GL_SCISSOR_TEST);
		glBindFramebuffer(GL_FRAMEBUFFER, fbo);
		glPixelStorei(GL_PACK_ALIGNMENT, 1);
		eglSwapBuffers(d, surf);
		GLint b = -1, a = -1;
		glGetIntegerv(GL_FRAMEBUFFER_BINDING, &b);
		glGetIntegerv(GL_PACK_ALIGNMENT, &a);
		GLenum err = glGetError();
		if (b != (GLint)fbo || a != 1 || err != GL_NO_ERROR) {
			if (bad++ == 0)
				fprintf(stderr, "egl-game: after the swap: "
				    "framebuffer %d, alignment %d, error 0x%x\n",
				    b, a, err);
		}
		printf("\rframe %ld ms %ld keys %d gx %d gy %d bad %d   ", f, t,
		    keys, gx, gy, bad);
		fflush(stdout);
		struct timespec ts = { 0, 16000000 };
		nanosleep(&ts, NULL);
	}
	printf("\nquit\n");
	eglMakeCurrent(d, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroyContext(d, ctx);
	eglDestroySurface(d, surf);
	eglTerminate(d);
	XCloseDisplay(xd);
	return 0;
}
