/* Presentation as the frame boundary: SDL2's SDL_GL_SwapWindow,
 * SDL_RenderPresent and SDL_UpdateWindowSurface(Rects), GLX's and EGL's
 * swaps, SDL 1.2's SDL_Flip, SDL_GL_SwapBuffers and SDL_UpdateRect(s).
 * The picture is read first when someone will look at it (pixels.h), then
 * the real call presents it, then the boundary: what a stopped game shows
 * is what a controller sees. The shim links none of these libraries: the
 * real functions and the few helpers are found with dlsym, declared here
 * by their ABI (SDL's structures as far as the fields read). */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "pixels.h"
#include "shim.h"

/* A presentation call inside another (SDL 1.2's flip over GLX) is not a
 * second boundary. */
static SHIM_TLS int tls_presenting;

#define RESOLVE(var, name) do { \
	if ((var) == NULL) \
		*(void **)&(var) = dlsym(RTLD_NEXT, name); \
} while (0)
/* The real function, or (called with no library behind it: looked up by
 * name in a process without SDL or GL) nothing to do. */
#define REAL_OR(var, name, ret) do { \
	RESOLVE(var, name); \
	if ((var) == NULL) \
		return ret; \
} while (0)
#define HELPER(var, name) do { \
	if ((var) == NULL) \
		*(void **)&(var) = dlsym(RTLD_DEFAULT, name); \
} while (0)

/* 0: a call the shim leaves alone (not driving, or inside another
 * presentation). Else the caller reads the picture if wanted (it belongs
 * to the next boundary, whichever rule ends frames), presents, and calls
 * present_end with what this returned: 2 when the call is a boundary. */
static int
present_begin(enum frame_rule kind)
{
	if (!shim_on() || tls_presenting)
		return 0;
	tls_presenting = 1;
	tls_internal++;
	return frame_is_boundary(kind) ? 2 : 1;
}

static void
present_end(int how)
{
	tls_internal--;
	tls_presenting = 0;
	if (how == 2)
		frame_boundary(1);
}

/* --- OpenGL: the back buffer, before the swap --- */

#define GL_PACK_ROW_LENGTH 0x0D02
#define GL_PACK_SKIP_ROWS 0x0D03
#define GL_PACK_SKIP_PIXELS 0x0D04
#define GL_PACK_ALIGNMENT 0x0D05
#define GL_READ_BUFFER 0x0C02
#define GL_BACK 0x0405
#define GL_RGBA 0x1908
#define GL_UNSIGNED_BYTE 0x1401
#define GL_READ_FRAMEBUFFER 0x8CA8
#define GL_READ_FRAMEBUFFER_BINDING 0x8CAA
#define GL_PIXEL_PACK_BUFFER 0x88EB
#define GL_PIXEL_PACK_BUFFER_BINDING 0x88ED
#define GL_FRAMEBUFFER 0x8D40
#define GL_FRAMEBUFFER_BINDING 0x8CA6
#define GL_VERSION 0x1F02

struct gl_fns {
	void (*ReadPixels)(int, int, int, int, unsigned, unsigned, void *);
	void (*GetIntegerv)(unsigned, int *);
	void (*PixelStorei)(unsigned, int);
	void (*ReadBuffer)(unsigned);
	void (*BindFramebuffer)(unsigned, unsigned);
	void (*BindBuffer)(unsigned, unsigned);
	const char *(*GetString)(unsigned);
	int ok;
};

static void
gl_resolve(struct gl_fns *gl, void *(*get)(const char *))
{
	if (gl->ok)
		return;
	*(void **)&gl->ReadPixels = get("glReadPixels");
	*(void **)&gl->GetIntegerv = get("glGetIntegerv");
	*(void **)&gl->PixelStorei = get("glPixelStorei");
	*(void **)&gl->ReadBuffer = get("glReadBuffer");
	*(void **)&gl->BindFramebuffer = get("glBindFramebuffer");
	*(void **)&gl->BindBuffer = get("glBindBuffer");
	*(void **)&gl->GetString = get("glGetString");
	gl->ok = gl->ReadPixels && gl->GetIntegerv && gl->PixelStorei;
}

/* What the current context's API lets the read touch: a desktop GL or
 * OpenGL ES 3 context has pack row lengths and skips, a read buffer, a
 * read framebuffer binding and pixel pack buffers; ES 2 has only the
 * alignment and one framebuffer binding; ES 1 neither. Naming any other
 * would leave a GL_INVALID_ENUM for the game's glGetError. */
enum gl_api { GL_DESKTOP, GL_ES2, GL_ES1 };

static enum gl_api
gl_api(struct gl_fns *gl)
{
	const char *v = gl->GetString ? gl->GetString(GL_VERSION) : NULL;
	if (v == NULL || strncmp(v, "OpenGL ES", 9) != 0)
		return GL_DESKTOP;
	/* "OpenGL ES 3.2 Mesa ...", "OpenGL ES 2.0 ...", "OpenGL ES-CM 1.1" */
	const char *p = v + 9;
	while (*p != '\0' && (*p < '0' || *p > '9'))
		p++;
	if (*p >= '3')
		return GL_DESKTOP;
	return *p == '2' ? GL_ES2 : GL_ES1;
}

/* Read the current context's W x H default framebuffer's back buffer,
 * leaving the GL state the game set as it was. */
static void
gl_grab(struct gl_fns *gl, int w, int h)
{
	if (!gl->ok)
		return;
	/* RGB rows first, the RGBA read after them: converted in one pass,
	 * bottom row first, never overlapping. */
	size_t n = (size_t)w * (size_t)h;
	uint8_t *buf = pixels_room(w, h, 7);
	if (buf == NULL)
		return;
	uint8_t *rgba = buf + n * 3;
	enum gl_api api = gl_api(gl);
	int full = api == GL_DESKTOP;
	int align = 4, row = 0, skip_r = 0, skip_p = 0, rb = GL_BACK;
	int fb = 0, pbo = 0;
	/* ES 2 binds one framebuffer for drawing and reading alike. */
	unsigned fb_target = full ? GL_READ_FRAMEBUFFER : GL_FRAMEBUFFER;
	int can_fb = gl->BindFramebuffer != NULL && api != GL_ES1;
	gl->GetIntegerv(GL_PACK_ALIGNMENT, &align);
	if (full) {
		gl->GetIntegerv(GL_PACK_ROW_LENGTH, &row);
		gl->GetIntegerv(GL_PACK_SKIP_ROWS, &skip_r);
		gl->GetIntegerv(GL_PACK_SKIP_PIXELS, &skip_p);
	}
	if (can_fb)
		gl->GetIntegerv(full ? GL_READ_FRAMEBUFFER_BINDING :
		    GL_FRAMEBUFFER_BINDING, &fb);
	if (full && gl->BindBuffer)
		gl->GetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &pbo);
	if (fb)
		gl->BindFramebuffer(fb_target, 0);
	if (pbo)
		gl->BindBuffer(GL_PIXEL_PACK_BUFFER, 0);
	if (full && gl->ReadBuffer) {
		gl->GetIntegerv(GL_READ_BUFFER, &rb);
		gl->ReadBuffer(GL_BACK);
	}
	gl->PixelStorei(GL_PACK_ALIGNMENT, 4);
	if (full) {
		gl->PixelStorei(GL_PACK_ROW_LENGTH, 0);
		gl->PixelStorei(GL_PACK_SKIP_ROWS, 0);
		gl->PixelStorei(GL_PACK_SKIP_PIXELS, 0);
	}
	gl->ReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
	gl->PixelStorei(GL_PACK_ALIGNMENT, align);
	if (full) {
		gl->PixelStorei(GL_PACK_ROW_LENGTH, row);
		gl->PixelStorei(GL_PACK_SKIP_ROWS, skip_r);
		gl->PixelStorei(GL_PACK_SKIP_PIXELS, skip_p);
	}
	if (full && gl->ReadBuffer)
		gl->ReadBuffer((unsigned)rb);
	if (pbo)
		gl->BindBuffer(GL_PIXEL_PACK_BUFFER, (unsigned)pbo);
	if (fb)
		gl->BindFramebuffer(fb_target, (unsigned)fb);
	for (int y = 0; y < h; y++) {
		const uint8_t *s = rgba + (size_t)(h - 1 - y) * (size_t)w * 4;
		uint8_t *d = buf + (size_t)y * (size_t)w * 3;
		for (int x = 0; x < w; x++, s += 4, d += 3) {
			d[0] = s[0];
			d[1] = s[1];
			d[2] = s[2];
		}
	}
	pixels_done(w, h);
}

/* --- SDL2 --- */

#define SDL_PIXELFORMAT_RGB24 0x17101803u

struct sdl2_format {
	uint32_t format;
};

struct sdl2_surface {
	uint32_t flags;
	struct sdl2_format *format;
	int w, h;
	int pitch;
	void *pixels;
};

static struct {
	void *(*GL_GetProcAddress)(const char *);
	void (*GL_GetDrawableSize)(void *, int *, int *);
	int (*GetRendererOutputSize)(void *, int *, int *);
	int (*RenderReadPixels)(void *, const void *, uint32_t, void *, int);
	struct sdl2_surface *(*GetWindowSurface)(void *);
	int (*ConvertPixels)(int, int, uint32_t, const void *, int, uint32_t,
	    void *, int);
	struct gl_fns gl;
} sdl2;

static void
sdl2_grab_gl(void *window)
{
	HELPER(sdl2.GL_GetProcAddress, "SDL_GL_GetProcAddress");
	HELPER(sdl2.GL_GetDrawableSize, "SDL_GL_GetDrawableSize");
	if (!sdl2.GL_GetProcAddress || !sdl2.GL_GetDrawableSize)
		return;
	int w = 0, h = 0;
	sdl2.GL_GetDrawableSize(window, &w, &h);
	gl_resolve(&sdl2.gl, sdl2.GL_GetProcAddress);
	gl_grab(&sdl2.gl, w, h);
}

static void
sdl2_grab_renderer(void *r)
{
	HELPER(sdl2.GetRendererOutputSize, "SDL_GetRendererOutputSize");
	HELPER(sdl2.RenderReadPixels, "SDL_RenderReadPixels");
	if (!sdl2.GetRendererOutputSize || !sdl2.RenderReadPixels)
		return;
	int w = 0, h = 0;
	if (sdl2.GetRendererOutputSize(r, &w, &h) != 0)
		return;
	uint8_t *buf = pixels_room(w, h, 3);
	if (buf == NULL)
		return;
	if (sdl2.RenderReadPixels(r, NULL, SDL_PIXELFORMAT_RGB24, buf,
	    w * 3) == 0)
		pixels_done(w, h);
}

static void
sdl2_grab_surface(void *window)
{
	HELPER(sdl2.GetWindowSurface, "SDL_GetWindowSurface");
	HELPER(sdl2.ConvertPixels, "SDL_ConvertPixels");
	if (!sdl2.GetWindowSurface || !sdl2.ConvertPixels)
		return;
	struct sdl2_surface *s = sdl2.GetWindowSurface(window);
	if (s == NULL || s->format == NULL || s->pixels == NULL)
		return;
	uint8_t *buf = pixels_room(s->w, s->h, 3);
	if (buf != NULL && sdl2.ConvertPixels(s->w, s->h, s->format->format,
	    s->pixels, s->pitch, SDL_PIXELFORMAT_RGB24, buf, s->w * 3) == 0)
		pixels_done(s->w, s->h);
}

static void (*real_SDL_GL_SwapWindow)(void *);
static void (*real_SDL_RenderPresent)(void *);
static int (*real_SDL_UpdateWindowSurface)(void *);
static int (*real_SDL_UpdateWindowSurfaceRects)(void *, const void *, int);

void SDL_GL_SwapWindow(void *window);

EXPORT void
SDL_GL_SwapWindow(void *window)
{
	REAL_OR(real_SDL_GL_SwapWindow, "SDL_GL_SwapWindow", );
	int how = present_begin(FRAME_SDL_GL_SWAPWINDOW);
	if (!how) {
		real_SDL_GL_SwapWindow(window);
		return;
	}
	if (pixels_wanted())
		sdl2_grab_gl(window);
	real_SDL_GL_SwapWindow(window);
	present_end(how);
}

void SDL_RenderPresent(void *renderer);

EXPORT void
SDL_RenderPresent(void *renderer)
{
	REAL_OR(real_SDL_RenderPresent, "SDL_RenderPresent", );
	int how = present_begin(FRAME_SDL_RENDERPRESENT);
	if (!how) {
		real_SDL_RenderPresent(renderer);
		return;
	}
	if (pixels_wanted())
		sdl2_grab_renderer(renderer);
	real_SDL_RenderPresent(renderer);
	present_end(how);
}

int SDL_UpdateWindowSurface(void *window);

EXPORT int
SDL_UpdateWindowSurface(void *window)
{
	REAL_OR(real_SDL_UpdateWindowSurface, "SDL_UpdateWindowSurface", -1);
	int how = present_begin(FRAME_SDL_UPDATEWINDOWSURFACE);
	if (!how)
		return real_SDL_UpdateWindowSurface(window);
	if (pixels_wanted())
		sdl2_grab_surface(window);
	int r = real_SDL_UpdateWindowSurface(window);
	present_end(how);
	return r;
}

int SDL_UpdateWindowSurfaceRects(void *window, const void *rects, int n);

EXPORT int
SDL_UpdateWindowSurfaceRects(void *window, const void *rects, int n)
{
	REAL_OR(real_SDL_UpdateWindowSurfaceRects,
	    "SDL_UpdateWindowSurfaceRects", -1);
	int how = present_begin(FRAME_SDL_UPDATEWINDOWSURFACE);
	if (!how)
		return real_SDL_UpdateWindowSurfaceRects(window, rects, n);
	if (pixels_wanted())
		sdl2_grab_surface(window);
	int r = real_SDL_UpdateWindowSurfaceRects(window, rects, n);
	present_end(how);
	return r;
}

/* --- GLX and EGL --- */

#define GLX_WIDTH 0x801D
#define GLX_HEIGHT 0x801E
#define EGL_HEIGHT 0x3056
#define EGL_WIDTH 0x3057

static struct {
	void *(*GetProcAddress)(const char *);
	void (*QueryDrawable)(void *, unsigned long, int, unsigned *);
	struct gl_fns gl;
} glx;

static struct {
	void *(*GetProcAddress)(const char *);
	unsigned (*QuerySurface)(void *, void *, int, int *);
	struct gl_fns gl;
} egl;

static void (*real_glXSwapBuffers)(void *, unsigned long);
static unsigned (*real_eglSwapBuffers)(void *, void *);

void glXSwapBuffers(void *dpy, unsigned long drawable);

EXPORT void
glXSwapBuffers(void *dpy, unsigned long drawable)
{
	REAL_OR(real_glXSwapBuffers, "glXSwapBuffers", );
	int how = present_begin(FRAME_GLXSWAPBUFFERS);
	if (!how) {
		real_glXSwapBuffers(dpy, drawable);
		return;
	}
	if (pixels_wanted()) {
		RESOLVE(glx.GetProcAddress, "glXGetProcAddressARB");
		RESOLVE(glx.QueryDrawable, "glXQueryDrawable");
		if (glx.GetProcAddress && glx.QueryDrawable) {
			unsigned w = 0, h = 0;
			glx.QueryDrawable(dpy, drawable, GLX_WIDTH, &w);
			glx.QueryDrawable(dpy, drawable, GLX_HEIGHT, &h);
			gl_resolve(&glx.gl, glx.GetProcAddress);
			gl_grab(&glx.gl, (int)w, (int)h);
		}
	}
	real_glXSwapBuffers(dpy, drawable);
	present_end(how);
}

unsigned eglSwapBuffers(void *dpy, void *surface);

EXPORT unsigned
eglSwapBuffers(void *dpy, void *surface)
{
	REAL_OR(real_eglSwapBuffers, "eglSwapBuffers", 0);
	int how = present_begin(FRAME_EGLSWAPBUFFERS);
	if (!how)
		return real_eglSwapBuffers(dpy, surface);
	if (pixels_wanted()) {
		RESOLVE(egl.GetProcAddress, "eglGetProcAddress");
		RESOLVE(egl.QuerySurface, "eglQuerySurface");
		if (egl.GetProcAddress && egl.QuerySurface) {
			int w = 0, h = 0;
			egl.QuerySurface(dpy, surface, EGL_WIDTH, &w);
			egl.QuerySurface(dpy, surface, EGL_HEIGHT, &h);
			gl_resolve(&egl.gl, egl.GetProcAddress);
			gl_grab(&egl.gl, w, h);
		}
	}
	unsigned r = real_eglSwapBuffers(dpy, surface);
	present_end(how);
	return r;
}

/* --- SDL 1.2 --- */

struct sdl1_color {
	uint8_t r, g, b, unused;
};

struct sdl1_palette {
	int ncolors;
	struct sdl1_color *colors;
};

struct sdl1_format {
	struct sdl1_palette *palette;
	uint8_t BitsPerPixel, BytesPerPixel;
	uint8_t Rloss, Gloss, Bloss, Aloss;
	uint8_t Rshift, Gshift, Bshift, Ashift;
	uint32_t Rmask, Gmask, Bmask, Amask;
};

struct sdl1_surface {
	uint32_t flags;
	struct sdl1_format *format;
	int w, h;
	uint16_t pitch;
	void *pixels;
};

#define SDL1_OPENGL 0x00000002u

static struct {
	int (*LockSurface)(struct sdl1_surface *);
	void (*UnlockSurface)(struct sdl1_surface *);
	struct sdl1_surface *(*GetVideoSurface)(void);
	void *(*GL_GetProcAddress)(const char *);
	struct gl_fns gl;
} sdl1;

/* Any of SDL 1.2's pixel formats (by its masks, or its palette) to RGB. */
static void
sdl1_grab_surface(struct sdl1_surface *s)
{
	if (s == NULL || s->format == NULL || (s->flags & SDL1_OPENGL))
		return;
	HELPER(sdl1.LockSurface, "SDL_LockSurface");
	HELPER(sdl1.UnlockSurface, "SDL_UnlockSurface");
	if (!sdl1.LockSurface || !sdl1.UnlockSurface)
		return;
	const struct sdl1_format *f = s->format;
	int bpp = f->BytesPerPixel;
	if (bpp < 1 || bpp > 4)
		return;
	uint8_t *buf = pixels_room(s->w, s->h, 3);
	if (buf == NULL || sdl1.LockSurface(s) != 0)
		return;
	for (int y = 0; y < s->h; y++) {
		const uint8_t *p = (const uint8_t *)s->pixels +
		    (size_t)y * s->pitch;
		uint8_t *d = buf + (size_t)y * (size_t)s->w * 3;
		for (int x = 0; x < s->w; x++, p += bpp, d += 3) {
			uint32_t v = 0;
			memcpy(&v, p, (size_t)bpp);   /* little-endian */
			if (bpp == 1 && f->palette != NULL) {
				if ((int)v < f->palette->ncolors) {
					d[0] = f->palette->colors[v].r;
					d[1] = f->palette->colors[v].g;
					d[2] = f->palette->colors[v].b;
				} else {
					d[0] = d[1] = d[2] = 0;
				}
				continue;
			}
			d[0] = (uint8_t)(((v & f->Rmask) >> f->Rshift) << f->Rloss);
			d[1] = (uint8_t)(((v & f->Gmask) >> f->Gshift) << f->Gloss);
			d[2] = (uint8_t)(((v & f->Bmask) >> f->Bshift) << f->Bloss);
		}
	}
	sdl1.UnlockSurface(s);
	pixels_done(s->w, s->h);
}

static int (*real_SDL_Flip)(struct sdl1_surface *);
static void (*real_SDL_GL_SwapBuffers)(void);
static void (*real_SDL_UpdateRect)(struct sdl1_surface *, int32_t, int32_t,
    uint32_t, uint32_t);
static void (*real_SDL_UpdateRects)(struct sdl1_surface *, int, void *);

int SDL_Flip(struct sdl1_surface *screen);

EXPORT int
SDL_Flip(struct sdl1_surface *screen)
{
	REAL_OR(real_SDL_Flip, "SDL_Flip", -1);
	int how = present_begin(FRAME_SDL_FLIP);
	if (!how)
		return real_SDL_Flip(screen);
	if (pixels_wanted())
		sdl1_grab_surface(screen);
	int r = real_SDL_Flip(screen);
	present_end(how);
	return r;
}

void SDL_GL_SwapBuffers(void);

EXPORT void
SDL_GL_SwapBuffers(void)
{
	REAL_OR(real_SDL_GL_SwapBuffers, "SDL_GL_SwapBuffers", );
	int how = present_begin(FRAME_SDL_GL_SWAPBUFFERS);
	if (!how) {
		real_SDL_GL_SwapBuffers();
		return;
	}
	if (pixels_wanted()) {
		HELPER(sdl1.GetVideoSurface, "SDL_GetVideoSurface");
		HELPER(sdl1.GL_GetProcAddress, "SDL_GL_GetProcAddress");
		struct sdl1_surface *s = sdl1.GetVideoSurface ?
		    sdl1.GetVideoSurface() : NULL;
		if (s != NULL && sdl1.GL_GetProcAddress) {
			gl_resolve(&sdl1.gl, sdl1.GL_GetProcAddress);
			gl_grab(&sdl1.gl, s->w, s->h);
		}
	}
	real_SDL_GL_SwapBuffers();
	present_end(how);
}

/* SDL_UpdateRect(screen, 0, 0, 0, 0) is the whole screen; the rectangle's
 * types are Sint32 and Uint32 (promoted as ints in the ABI). */
void SDL_UpdateRect(struct sdl1_surface *screen, int32_t x, int32_t y, uint32_t w,
    uint32_t h);

EXPORT void
SDL_UpdateRect(struct sdl1_surface *screen, int32_t x, int32_t y, uint32_t w,
    uint32_t h)
{
	REAL_OR(real_SDL_UpdateRect, "SDL_UpdateRect", );
	int how = present_begin(FRAME_SDL_UPDATERECT);
	if (!how) {
		real_SDL_UpdateRect(screen, x, y, w, h);
		return;
	}
	if (pixels_wanted())
		sdl1_grab_surface(screen);
	real_SDL_UpdateRect(screen, x, y, w, h);
	present_end(how);
}

void SDL_UpdateRects(struct sdl1_surface *screen, int n, void *rects);

EXPORT void
SDL_UpdateRects(struct sdl1_surface *screen, int n, void *rects)
{
	REAL_OR(real_SDL_UpdateRects, "SDL_UpdateRects", );
	int how = present_begin(FRAME_SDL_UPDATERECT);
	if (!how) {
		real_SDL_UpdateRects(screen, n, rects);
		return;
	}
	if (pixels_wanted())
		sdl1_grab_surface(screen);
	real_SDL_UpdateRects(screen, n, rects);
	present_end(how);
}
