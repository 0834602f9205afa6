/* The presented picture (see pixels.h). The buffer comes from the shim's
 * own range (gh_malloc of a megabyte or more), so the game's heap never
 * moves and snapshots leave it out; it grows to the largest picture. */
#include <stdatomic.h>

#include "../common/alloc.h"
#include "frame.h"
#include "log.h"
#include "pixels.h"

static struct {
	uint8_t *buf;
	size_t cap;
	int w, h;
	int64_t frame;
	_Atomic int requests;
} px = { .frame = -1 };

int
pixels_wanted(void)
{
	return atomic_load_explicit(&px.requests, memory_order_relaxed) > 0 ||
	    frame_will_stop() || frame_request_pending();
}

void
pixels_request(int on)
{
	atomic_fetch_add(&px.requests, on ? 1 : -1);
}

uint8_t *
pixels_room(int w, int h, int bpp)
{
	if (w <= 0 || h <= 0 || w > 16384 || h > 16384)
		return NULL;
	size_t need = (size_t)w * (size_t)h * (size_t)bpp;
	if (need > px.cap) {
		size_t cap = (need + 0xfffff) & ~(size_t)0xfffff;
		void *p = gh_malloc(cap);   /* >= GH_BIG_ALLOC: the shim's range */
		if (p == NULL) {
			hlog("pixels: no room for %zu bytes", cap);
			return NULL;
		}
		gh_free(px.buf);
		px.buf = p;
		px.cap = cap;
		px.frame = -1;
	}
	return px.buf;
}

void
pixels_done(int w, int h)
{
	px.w = w;
	px.h = h;
	px.frame = frame_current() + 1;
}

void
pixels_forget(void)
{
	px.frame = -1;
}

const uint8_t *
pixels_get(int *w, int *h, int64_t *frame)
{
	*w = px.w;
	*h = px.h;
	*frame = px.frame;
	return px.frame < 0 ? NULL : px.buf;
}

void
pixels_scale(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw,
    int dh, int gray)
{
	for (int y = 0; y < dh; y++) {
		int y0 = (int)((int64_t)y * sh / dh);
		int y1 = (int)((int64_t)(y + 1) * sh / dh);
		if (y1 <= y0)
			y1 = y0 + 1;
		for (int x = 0; x < dw; x++) {
			int x0 = (int)((int64_t)x * sw / dw);
			int x1 = (int)((int64_t)(x + 1) * sw / dw);
			if (x1 <= x0)
				x1 = x0 + 1;
			uint32_t r = 0, g = 0, b = 0, n = 0;
			for (int yy = y0; yy < y1; yy++) {
				const uint8_t *p = src + ((size_t)yy * (size_t)sw +
				    (size_t)x0) * 3;
				for (int xx = x0; xx < x1; xx++, p += 3) {
					r += p[0];
					g += p[1];
					b += p[2];
					n++;
				}
			}
			r = (r + n / 2) / n;
			g = (g + n / 2) / n;
			b = (b + n / 2) / n;
			if (gray) {
				*dst++ = (uint8_t)((299 * r + 587 * g + 114 * b +
				    500) / 1000);
			} else {
				*dst++ = (uint8_t)r;
				*dst++ = (uint8_t)g;
				*dst++ = (uint8_t)b;
			}
		}
	}
}
