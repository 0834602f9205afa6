/* Input for X11 games that do not use SDL: injected input is put back into
 * Xlib's own event queue (XPutBackEvent) at the first event call of the
 * frame it was sent for, so XNextEvent, XPending, XCheck*Event, XIfEvent
 * and the rest all see it; the real keyboard and mouse are dropped as Xlib
 * converts them from the wire (a converter set with XESetWireToEvent ahead
 * of Xlib's own) while they are ignored, and followed otherwise, so
 * XQueryPointer and XQueryKeymap answer from what the game was given. In an
 * SDL game (whose X11 backend calls these same functions) the hooks pass
 * straight through: SDL's side does the work. The shim does not link Xlib:
 * the real functions come from dlsym(RTLD_NEXT). */
#include <dlfcn.h>
#include <stdatomic.h>
#include <string.h>

#include <X11/Xlibint.h>

#include "../common/gfxkeys.h"
#include "gfxin.h"
#include "input.h"
#include "shim.h"
#include "vclock.h"

typedef Bool (*pred_fn)(Display *, XEvent *, XPointer);
typedef Bool (*wire_fn)(Display *, XEvent *, xEvent *);

/* The event readers: each delivers what is due, then runs the real one. */
#define X11_READERS(X) \
	X(int, XNextEvent, (Display *d, XEvent *e), (d, e), 0) \
	X(int, XPeekEvent, (Display *d, XEvent *e), (d, e), 0) \
	X(int, XPending, (Display *d), (d), 0) \
	X(int, XEventsQueued, (Display *d, int m), (d, m), 0) \
	X(int, XMaskEvent, (Display *d, long m, XEvent *e), (d, m, e), 0) \
	X(int, XWindowEvent, (Display *d, Window w, long m, XEvent *e), \
	    (d, w, m, e), 0) \
	X(Bool, XCheckMaskEvent, (Display *d, long m, XEvent *e), (d, m, e), False) \
	X(Bool, XCheckWindowEvent, (Display *d, Window w, long m, XEvent *e), \
	    (d, w, m, e), False) \
	X(Bool, XCheckTypedEvent, (Display *d, int t, XEvent *e), (d, t, e), False) \
	X(Bool, XCheckTypedWindowEvent, (Display *d, Window w, int t, XEvent *e), \
	    (d, w, t, e), False) \
	X(int, XIfEvent, (Display *d, XEvent *e, pred_fn p, XPointer a), \
	    (d, e, p, a), 0) \
	X(Bool, XCheckIfEvent, (Display *d, XEvent *e, pred_fn p, XPointer a), \
	    (d, e, p, a), False) \
	X(int, XPeekIfEvent, (Display *d, XEvent *e, pred_fn p, XPointer a), \
	    (d, e, p, a), 0)

#define X11_OTHERS(X) \
	X(int, XSelectInput, (Display *d, Window w, long m), (d, w, m), 0) \
	X(int, XMapWindow, (Display *d, Window w), (d, w), 0) \
	X(int, XMapRaised, (Display *d, Window w), (d, w), 0) \
	X(Bool, XQueryPointer, (Display *d, Window w, Window *r, Window *c, \
	    int *rx, int *ry, int *wx, int *wy, unsigned *m), \
	    (d, w, r, c, rx, ry, wx, wy, m), False) \
	X(int, XQueryKeymap, (Display *d, char k[32]), (d, k), 0) \
	X(int, XPutBackEvent, (Display *d, XEvent *e), (d, e), 0) \
	X(KeyCode, XKeysymToKeycode, (Display *d, KeySym k), (d, k), 0)

#define REAL_DEFINE(ret, name, params, args, fail) \
	static ret (*real_##name) params;
X11_READERS(REAL_DEFINE)
X11_OTHERS(REAL_DEFINE)
#undef REAL_DEFINE
static wire_fn (*real_XESetWireToEvent)(Display *, int, wire_fn);

#define NDISPLAYS 8
#define XBUF 256

static struct {
	int resolved;
	char keys[32];                /* by X keycode */
	unsigned mask;                /* modifiers and buttons held */
	int x, y;
	Window sel_win, map_win;      /* where input goes */
	Display *displays[NDISPLAYS]; /* with the converters in */
	wire_fn old[LASTEvent];
	unsigned seen_gen;
	XEvent buf[XBUF];
	_Atomic int consumer_claimed;
} xs;

static SHIM_TLS int x_busy;
static SHIM_TLS int x_consumer;

void
x11_resolve(void)
{
	if (xs.resolved)
		return;
	xs.resolved = 1;
	if ((*(void **)&real_XNextEvent = dlsym(RTLD_NEXT, "XNextEvent")) == NULL)
		return;
#define REAL_LOOKUP(ret, name, params, args, fail) \
	if (real_##name == NULL) \
		*(void **)&real_##name = dlsym(RTLD_NEXT, #name);
	X11_READERS(REAL_LOOKUP)
	X11_OTHERS(REAL_LOOKUP)
#undef REAL_LOOKUP
	*(void **)&real_XESetWireToEvent = dlsym(RTLD_NEXT, "XESetWireToEvent");
	if (gfxin_lib() == GFX_NONE && dlsym(RTLD_NEXT, "SDL_PollEvent") == NULL)
		gfxin_set_lib(GFX_X11);
}

static int
active(void)
{
	return shim_on() && !x_busy && gfxin_lib() == GFX_X11;
}

static unsigned
modmask(KeySym ks)
{
	switch (ks) {
	case 0xffe1: case 0xffe2: return ShiftMask;
	case 0xffe3: case 0xffe4: return ControlMask;
	case 0xffe9: case 0xffea: return Mod1Mask;
	case 0xffeb: case 0xffec: return Mod4Mask;
	default: return 0;
	}
}

/* Follow a real event as the game gets it. */
static void
track(const XEvent *e)
{
	switch (e->type) {
	case KeyPress:
	case KeyRelease: {
		unsigned k = e->xkey.keycode & 0xff;
		if (e->type == KeyPress)
			xs.keys[k / 8] |= (char)(1 << (k % 8));
		else
			xs.keys[k / 8] &= (char)~(1 << (k % 8));
		xs.mask = (xs.mask & ~0xffu) | (e->xkey.state & 0xff);
		break;
	}
	case ButtonPress:
	case ButtonRelease:
		if (e->xbutton.button >= 1 && e->xbutton.button <= 5) {
			unsigned bit = Button1Mask << (e->xbutton.button - 1);
			xs.mask = e->type == ButtonPress ? xs.mask | bit :
			    xs.mask & ~bit;
		}
		xs.x = e->xbutton.x;
		xs.y = e->xbutton.y;
		break;
	case MotionNotify:
		xs.x = e->xmotion.x;
		xs.y = e->xmotion.y;
		break;
	default:
		break;
	}
}

/* Xlib's converter for the input events, wrapped: a real event the game
 * should not see is never queued. */
static Bool
wire_filter(Display *d, XEvent *re, xEvent *ev)
{
	int t = ev->u.u.type & 0x7f;
	wire_fn old = t < LASTEvent ? xs.old[t] : NULL;

	if (old == NULL || !old(d, re, ev))
		return False;
	if (shim_on() && input_ignore_real())
		return False;
	track(re);
	return True;
}

static void
install(Display *d)
{
	int i;

	for (i = 0; i < NDISPLAYS && xs.displays[i] != NULL; i++)
		if (xs.displays[i] == d)
			return;
	if (i == NDISPLAYS || real_XESetWireToEvent == NULL)
		return;
	xs.displays[i] = d;
	for (int t = KeyPress; t <= MotionNotify; t++) {
		wire_fn old = real_XESetWireToEvent(d, t, wire_filter);
		if (old != wire_filter && xs.old[t] == NULL)
			xs.old[t] = old;
	}
}

static Window
target(Display *d)
{
	if (xs.sel_win)
		return xs.sel_win;
	if (xs.map_win)
		return xs.map_win;
	return DefaultRootWindow(d);
}

/* A key, button or motion event of the pointer's window, as the server
 * would send it. */
static XEvent *
new_event(Display *d, int type)
{
	static XEvent scratch;
	XEvent *e = &scratch;

	for (int i = 0; i < XBUF; i++)
		if (xs.buf[i].type == 0) {
			e = &xs.buf[i];
			break;
		}
	memset(e, 0, sizeof *e);
	e->type = type;
	e->xkey.display = d;
	e->xkey.window = target(d);
	e->xkey.root = DefaultRootWindow(d);
	e->xkey.time = (Time)(vclock_now() / 1000000);
	e->xkey.x = e->xkey.x_root = xs.x;
	e->xkey.y = e->xkey.y_root = xs.y;
	e->xkey.state = xs.mask;
	e->xkey.same_screen = True;
	return e;
}

static void
key_event(Display *d, int press, KeySym ks, unsigned extra_state)
{
	KeyCode kc = real_XKeysymToKeycode ? real_XKeysymToKeycode(d, ks) : 0;
	if (kc == 0)
		return;   /* not on this keyboard map */
	XEvent *e = new_event(d, press ? KeyPress : KeyRelease);
	e->xkey.keycode = kc;
	e->xkey.state |= extra_state;
	if (press)
		xs.keys[kc / 8] |= (char)(1 << (kc % 8));
	else
		xs.keys[kc / 8] &= (char)~(1 << (kc % 8));
	unsigned m = modmask(ks);
	if (m)
		xs.mask = press ? xs.mask | m : xs.mask & ~m;
	if (ks == 0xffe5 && press)
		xs.mask ^= LockMask;
}

static void
button_event(Display *d, int down, int b)
{
	XEvent *e = new_event(d, down ? ButtonPress : ButtonRelease);
	e->xbutton.button = (unsigned)b;
	if (b >= 1 && b <= 5) {
		unsigned bit = Button1Mask << (b - 1);
		xs.mask = down ? xs.mask | bit : xs.mask & ~bit;
	}
}

static void
translate(Display *d, const struct gfx_event *g)
{
	switch (g->kind) {
	case GFX_KEY_PRESS:
	case GFX_KEY_RELEASE:
		if (g->key.x_keysym)
			key_event(d, g->kind == GFX_KEY_PRESS, g->key.x_keysym, 0);
		break;
	case GFX_TEXT:
		for (const unsigned char *p = (const unsigned char *)g->text; *p; p++) {
			struct gfx_key k;
			if (*p >= 128 || gfx_key_for_char(*p, &k) != 0)
				continue;   /* not typed by one key of a US keyboard */
			unsigned st = k.mods & GK_MOD_LSHIFT ? ShiftMask : 0;
			key_event(d, 1, k.x_keysym, st);
			key_event(d, 0, k.x_keysym, st);
		}
		break;
	case GFX_MOTION: {
		xs.x = g->x;
		xs.y = g->y;
		new_event(d, MotionNotify)->xmotion.is_hint = NotifyNormal;
		break;
	}
	case GFX_BUTTON_DOWN:
	case GFX_BUTTON_UP:
		xs.x = g->x;
		xs.y = g->y;
		button_event(d, g->kind == GFX_BUTTON_DOWN, g->button);
		break;
	case GFX_WHEEL: {
		int b = g->wheel > 0 ? 4 : 5;
		for (int i = 0; i < (g->wheel > 0 ? g->wheel : -g->wheel); i++) {
			button_event(d, 1, b);
			button_event(d, 0, b);
		}
		break;
	}
	default:
		break;
	}
}

/* Put what is due into Xlib's queue, ahead of what is there (in order). */
static void
deliver(Display *d)
{
	struct gfx_event g;
	int n = 0;

	if (!x_consumer) {
		int want = 0;
		if (!atomic_compare_exchange_strong(&xs.consumer_claimed, &want, 1))
			return;   /* another thread reads the injected input */
		x_consumer = 1;
	}
	x_busy = 1;
	install(d);
	unsigned gen = gfxin_generation();
	if (gen != xs.seen_gen) {
		xs.seen_gen = gen;
		memset(xs.keys, 0, sizeof xs.keys);
		xs.mask = 0;
	}
	/* Each injected event makes at most 2 x 100 X events (a wheel). */
	while (n < XBUF - 200 && gfxin_take(&g)) {
		translate(d, &g);
		while (n < XBUF && xs.buf[n].type != 0)
			n++;
	}
	for (int i = n - 1; i >= 0; i--) {
		real_XPutBackEvent(d, &xs.buf[i]);
		xs.buf[i].type = 0;
	}
	x_busy = 0;
}

#define NEED(name, fail) \
	do { \
		if (unlikely(real_##name == NULL) && \
		    (x11_resolve(), real_##name == NULL)) \
			return fail; \
	} while (0)

#define READER_HOOK(ret, name, params, args, fail) \
	EXPORT ret name params \
	{ \
		NEED(name, fail); \
		if (active()) \
			deliver(d); \
		return real_##name args; \
	}
X11_READERS(READER_HOOK)
#undef READER_HOOK

EXPORT int
XSelectInput(Display *d, Window w, long m)
{
	NEED(XSelectInput, 0);
	if (m & (KeyPressMask | ButtonPressMask | PointerMotionMask))
		xs.sel_win = w;
	return real_XSelectInput(d, w, m);
}

EXPORT int
XMapWindow(Display *d, Window w)
{
	NEED(XMapWindow, 0);
	xs.map_win = w;
	return real_XMapWindow(d, w);
}

EXPORT int
XMapRaised(Display *d, Window w)
{
	NEED(XMapRaised, 0);
	xs.map_win = w;
	return real_XMapRaised(d, w);
}

EXPORT Bool
XQueryPointer(Display *d, Window w, Window *r, Window *c, int *rx, int *ry,
    int *wx, int *wy, unsigned *m)
{
	NEED(XQueryPointer, False);
	Bool ok = real_XQueryPointer(d, w, r, c, rx, ry, wx, wy, m);
	if (!active())
		return ok;
	if (input_ignore_real()) {
		*rx = *wx = xs.x;
		*ry = *wy = xs.y;
		*m = xs.mask;
	} else {
		*m |= xs.mask;
	}
	return ok;
}

EXPORT int
XQueryKeymap(Display *d, char k[32])
{
	NEED(XQueryKeymap, 0);
	int r = real_XQueryKeymap(d, k);
	if (!active())
		return r;
	for (int i = 0; i < 32; i++)
		k[i] = input_ignore_real() ? xs.keys[i] : (char)(k[i] | xs.keys[i]);
	return r;
}
