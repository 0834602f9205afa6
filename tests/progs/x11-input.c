/* A plain Xlib game that prints what input it receives, each line tagged
 * with its frame (one turn of its loop: drain XPending/XNextEvent, state,
 * nanosleep): key, button and motion events (with XLookupString's text),
 * and the pointer and keyboard state (XQueryPointer, XQueryKeymap)
 * whenever they change. Ends on Escape. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <X11/Xlib.h>
#include <X11/XKBlib.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>

int
main(void)
{
	char prev[512] = "", cur[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		printf("XOpenDisplay failed\n");
		return 1;
	}
	Window w = XCreateSimpleWindow(d, DefaultRootWindow(d), 0, 0, 320, 240, 0,
	    0, 0);
	XSelectInput(d, w, KeyPressMask | KeyReleaseMask | ButtonPressMask |
	    ButtonReleaseMask | PointerMotionMask | ExposureMask);
	XStoreName(d, w, "x11-input");
	XMapWindow(d, w);
	XFlush(d);
	printf("ready\n");
	for (int f = 0;; f++) {
		while (XPending(d)) {
			XEvent e;
			char s[16] = "";
			KeySym ks = 0;
			XNextEvent(d, &e);
			switch (e.type) {
			case KeyPress:
			case KeyRelease: {
				int n = XLookupString(&e.xkey, s, sizeof s - 1, &ks, NULL);
				s[n > 0 ? n : 0] = 0;
				printf("F%d key %s keysym=%#lx state=%#x str=%s\n", f,
				    e.type == KeyPress ? "down" : "up", ks,
				    e.xkey.state, n > 0 && s[0] > ' ' ? s : "-");
				if (e.type == KeyPress && ks == XK_Escape)
					return 0;
				break;
			}
			case ButtonPress:
			case ButtonRelease:
				printf("F%d button %s b=%u at %d,%d\n", f,
				    e.type == ButtonPress ? "down" : "up",
				    e.xbutton.button, e.xbutton.x, e.xbutton.y);
				break;
			case MotionNotify:
				printf("F%d motion %d,%d state %#x\n", f, e.xmotion.x,
				    e.xmotion.y, e.xmotion.state);
				break;
			default:
				break;
			}
		}
		Window r, c;
		int rx, ry, x, y, len = 0;
		unsigned m;
		char keys[32];
		XQueryPointer(d, w, &r, &c, &rx, &ry, &x, &y, &m);
		XQueryKeymap(d, keys);
		len += snprintf(cur + len, sizeof cur - len, "keys=");
		for (int i = 0; i < 256 && len < 400; i++)
			if (keys[i / 8] & (1 << (i % 8)))
				len += snprintf(cur + len, sizeof cur - len, "%#lx,",
				    XkbKeycodeToKeysym(d, (KeyCode)i, 0, 0));
		snprintf(cur + len, sizeof cur - len, " mouse=%d,%d mask=%#x", x, y, m);
		if (strcmp(cur, prev) != 0) {
			printf("F%d state %s\n", f, cur);
			strcpy(prev, cur);
		}
		struct timespec ts = { 0, 16000000 };
		nanosleep(&ts, NULL);
	}
}
