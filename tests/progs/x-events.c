/* A plain Xlib game that learns of its window only from the X server's
 * events: a frame is one turn of its loop (drain XPending/XNextEvent,
 * print, nanosleep 16 ms). It opens the display and creates its window
 * before the first frame, maps it at frame MAP (argument, default 2) with
 * a flush and no round trip, and prints "F<frame> <event>" for each
 * MapNotify, Expose, ConfigureNotify and VisibilityNotify it is given, so
 * the frame an event reaches it is on its standard output, then "T<frame>"
 * once that frame's events are read (a reader that has seen it has seen
 * every event line before). Ends after 600 frames. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <X11/Xlib.h>

static const char *
name(int type)
{
	switch (type) {
	case MapNotify: return "map";
	case Expose: return "expose";
	case ConfigureNotify: return "configure";
	case VisibilityNotify: return "visibility";
	default: return NULL;
	}
}

int
main(int argc, char **argv)
{
	int map_at = argc > 1 ? atoi(argv[1]) : 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		printf("XOpenDisplay failed\n");
		return 1;
	}
	Window w = XCreateSimpleWindow(d, DefaultRootWindow(d), 0, 0, 160, 120,
	    0, 0, 0);
	XSelectInput(d, w, ExposureMask | StructureNotifyMask |
	    VisibilityChangeMask);
	XSync(d, False);
	printf("ready\n");
	for (int f = 0; f < 600; f++) {
		while (XPending(d)) {
			XEvent e;
			XNextEvent(d, &e);
			if (name(e.type) != NULL)
				printf("F%d %s\n", f, name(e.type));
		}
		printf("T%d\n", f);
		if (f == map_at) {
			XMapWindow(d, w);
			XFlush(d);
		}
		struct timespec ts = { 0, 16000000 };
		nanosleep(&ts, NULL);
	}
	XCloseDisplay(d);
	return 0;
}
