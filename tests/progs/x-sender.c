/* Stands in for the real keyboard and mouse: the X server's XTEST extension
 * (libXtst, opened with dlopen: Debian ships no header without its -dev
 * package) moves the real pointer into the window named NAME and taps a key
 * or clicks a button there, as device input (to test that a lockstep game
 * ignores it).
 *   x-sender NAME key KEYSYM_NAME
 *   x-sender NAME button N X Y */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>

/* A window named NAME at or under W, or 0. */
static Window
find(Display *d, Window w, const char *name, int depth)
{
	char *n = NULL;
	Window r, p, *kids = NULL, found = 0;
	unsigned nk = 0;

	if (XFetchName(d, w, &n) && n != NULL) {
		int same = strcmp(n, name) == 0;
		XFree(n);
		if (same)
			return w;
	}
	if (depth == 0 || !XQueryTree(d, w, &r, &p, &kids, &nk))
		return 0;
	for (unsigned i = 0; i < nk && !found; i++)
		found = find(d, kids[i], name, depth - 1);
	if (kids)
		XFree(kids);
	return found;
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: x-sender NAME key KEYSYM | button N X Y\n");
		return 2;
	}
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		fprintf(stderr, "x-sender: no display\n");
		return 1;
	}
	Window w = find(d, DefaultRootWindow(d), argv[1], 3);
	if (w == 0) {
		fprintf(stderr, "x-sender: no window named %s\n", argv[1]);
		return 1;
	}
	void *xt = dlopen("libXtst.so.6", RTLD_NOW);
	int (*motion)(Display *, int, int, int, unsigned long) =
	    xt ? (int (*)(Display *, int, int, int, unsigned long))dlsym(xt,
	    "XTestFakeMotionEvent") : NULL;
	int (*key)(Display *, unsigned, Bool, unsigned long) =
	    xt ? (int (*)(Display *, unsigned, Bool, unsigned long))dlsym(xt,
	    "XTestFakeKeyEvent") : NULL;
	int (*button)(Display *, unsigned, Bool, unsigned long) =
	    xt ? (int (*)(Display *, unsigned, Bool, unsigned long))dlsym(xt,
	    "XTestFakeButtonEvent") : NULL;
	if (motion == NULL || key == NULL || button == NULL) {
		fprintf(stderr, "x-sender: no libXtst.so.6\n");
		return 1;
	}
	int x = 5, y = 5;
	Window child;
	if (argc == 6) {
		x = atoi(argv[4]);
		y = atoi(argv[5]);
	}
	XTranslateCoordinates(d, w, DefaultRootWindow(d), x, y, &x, &y, &child);
	motion(d, DefaultScreen(d), x, y, 0);
	XSync(d, False);
	if (strcmp(argv[2], "key") == 0) {
		unsigned kc = XKeysymToKeycode(d, XStringToKeysym(argv[3]));
		key(d, kc, True, 0);
		key(d, kc, False, 0);
	} else if (argc == 6) {
		button(d, (unsigned)atoi(argv[3]), True, 0);
		button(d, (unsigned)atoi(argv[3]), False, 0);
	} else {
		return 2;
	}
	XSync(d, False);
	XCloseDisplay(d);
	return 0;
}
