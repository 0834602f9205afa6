/* Events from the X server, reaching the game at the same point of its
 * run every time (lockstep and seeded runs). Xlib takes events off the
 * connection when it reads for them (_XEventsQueued: XPending, XFlush,
 * XCheck*Event; _XReadEvents: XNextEvent on an empty queue) and when a
 * reply comes (_XReply, which queues the events sent before the reply).
 * Only the first depends on real time: it takes whatever the server has
 * sent by then, so an event caused by a request the game made a moment
 * ago (the window mapped, exposed, resized, focused) is seen at one frame
 * in one run and the next in another. Here each such read is preceded by
 * a round trip (the GetInputFocus that XSync sends): the server has then
 * processed every request the game made, and the events they caused are
 * in Xlib's queue, whatever the server's speed. With no window manager and
 * the real keyboard and mouse ignored (a headless game in lockstep),
 * nothing else sends events. Libraries call these two functions through
 * their PLT, inside libX11 too, so the hooks see every read. The shim
 * does not link Xlib: the real functions come from dlsym(RTLD_NEXT). */
#include <dlfcn.h>

#include <X11/Xlibint.h>
#include <X11/Xproto.h>

#include "shim.h"
#include "vclock.h"

static int (*real_XEventsQueued_)(Display *, int);
static void (*real_XReadEvents_)(Display *);
static void *(*real_XGetRequest_)(Display *, CARD8, size_t);
static Status (*real_XReply_)(Display *, xReply *, int, Bool);

/* Set while this thread makes its own round trip: Xlib may flush
 * (and so read) inside it. */
static SHIM_TLS int in_round_trip;

static int
resolve(void)
{
	if (real_XEventsQueued_ == NULL) {
		*(void **)&real_XGetRequest_ = dlsym(RTLD_NEXT, "_XGetRequest");
		*(void **)&real_XReply_ = dlsym(RTLD_NEXT, "_XReply");
		*(void **)&real_XReadEvents_ = dlsym(RTLD_NEXT, "_XReadEvents");
		*(void **)&real_XEventsQueued_ = dlsym(RTLD_NEXT,
		    "_XEventsQueued");
	}
	return real_XEventsQueued_ != NULL;
}

/* Whether reads of events wait for the server to catch up. */
static int
synced(void)
{
	return shim_on() && !vclock_detached() && !in_round_trip &&
	    (shim_cfg.lockstep || shim_cfg.seeded) &&
	    real_XGetRequest_ != NULL && real_XReply_ != NULL;
}

/* XSync's round trip, with the display already locked (as Xlib's
 * internal functions are called): afterwards every event the requests
 * before it caused is in the queue. */
static void
round_trip(Display *dpy)
{
	xGetInputFocusReply rep;

	in_round_trip = 1;
	if (real_XGetRequest_(dpy, X_GetInputFocus, SIZEOF(xReq)) != NULL)
		(void)real_XReply_(dpy, (xReply *)&rep, 0, xTrue);
	in_round_trip = 0;
}

int _XEventsQueued(Display *dpy, int mode);

EXPORT int
_XEventsQueued(Display *dpy, int mode)
{
	if (!resolve())
		return 0;
	if (mode != QueuedAlready && synced())
		round_trip(dpy);
	return real_XEventsQueued_(dpy, mode);
}

void _XReadEvents(Display *dpy);

EXPORT void
_XReadEvents(Display *dpy)
{
	if (!resolve() || real_XReadEvents_ == NULL)
		return;
	if (synced()) {
		round_trip(dpy);
		/* It waits for an event newer than those it finds queued:
		 * those the round trip brought are for the caller already. */
		if (dpy->qlen > 0)
			return;
	}
	real_XReadEvents_(dpy);
}
