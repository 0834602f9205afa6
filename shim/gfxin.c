/* The graphical input queue (see gfxin.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "gfxin.h"
#include "input.h"

static struct {
	struct gfx_event ring[GFXIN_RING];
	_Atomic size_t head;      /* next to write (producer) */
	_Atomic size_t tail;      /* next to read (consumer) */
	_Atomic unsigned gen;
	_Atomic int lib;
} gq;

enum gfx_lib
gfxin_lib(void)
{
	return (enum gfx_lib)atomic_load_explicit(&gq.lib, memory_order_relaxed);
}

void
gfxin_set_lib(enum gfx_lib lib)
{
	atomic_store(&gq.lib, (int)lib);
}

const char *
gfxin_lib_name(void)
{
	static const char *const names[] = { "none", "sdl1.2", "sdl2", "x11" };
	return names[gfxin_lib()];
}

int
gfxin_push(const struct gfx_event *e)
{
	size_t h = atomic_load_explicit(&gq.head, memory_order_relaxed);
	size_t t = atomic_load_explicit(&gq.tail, memory_order_acquire);

	if (h - t >= GFXIN_RING)
		return -1;
	gq.ring[h % GFXIN_RING] = *e;
	atomic_store_explicit(&gq.head, h + 1, memory_order_release);
	return 0;
}

size_t
gfxin_space(void)
{
	return GFXIN_RING - (atomic_load(&gq.head) - atomic_load(&gq.tail));
}

void
gfxin_reset(void)
{
	atomic_store_explicit(&gq.tail, atomic_load_explicit(&gq.head,
	    memory_order_acquire), memory_order_release);
	atomic_fetch_add(&gq.gen, 1);
}

unsigned
gfxin_generation(void)
{
	return atomic_load_explicit(&gq.gen, memory_order_relaxed);
}

int
gfxin_take(struct gfx_event *e)
{
	size_t t = atomic_load_explicit(&gq.tail, memory_order_relaxed);
	size_t h = atomic_load_explicit(&gq.head, memory_order_acquire);

	if (t == h)
		return 0;
	const struct gfx_event *q = &gq.ring[t % GFXIN_RING];
	if (q->frame > input_frame())
		return 0;
	*e = *q;
	atomic_store_explicit(&gq.tail, t + 1, memory_order_release);
	return 1;
}

void
gfxin_to_trace(const struct gfx_event *e, const char *name,
    struct trace_input *t)
{
	static const int kinds[] = { 0, TI_KEY_PRESS, TI_KEY_RELEASE,
		TI_MOUSE_MOVE, TI_MOUSE_DOWN, TI_MOUSE_UP, TI_WHEEL, TI_TEXT };

	memset(t, 0, sizeof *t);
	t->kind = kinds[e->kind];
	snprintf(t->name, sizeof t->name, "%s", name ? name : "");
	switch (e->kind) {
	case GFX_KEY_PRESS:
	case GFX_KEY_RELEASE:
		t->code = e->key.sdl_key;
		t->scancode = e->key.scancode;
		t->sdl1_sym = e->key.sdl1_sym;
		t->x_keysym = e->key.x_keysym;
		t->mod = e->key.mods;
		t->unicode = e->key.unicode;
		break;
	case GFX_TEXT:
		snprintf(t->value, sizeof t->value, "%s", e->text);
		break;
	default:
		t->x = e->x;
		t->y = e->y;
		t->button = e->button;
		t->wheel = e->wheel;
		break;
	}
}

int
gfxin_from_trace(const struct trace_input *t, int64_t frame,
    struct gfx_event *e)
{
	memset(e, 0, sizeof *e);
	e->frame = frame;
	switch (t->kind) {
	case TI_KEY_PRESS: e->kind = GFX_KEY_PRESS; break;
	case TI_KEY_RELEASE: e->kind = GFX_KEY_RELEASE; break;
	case TI_MOUSE_MOVE: e->kind = GFX_MOTION; break;
	case TI_MOUSE_DOWN: e->kind = GFX_BUTTON_DOWN; break;
	case TI_MOUSE_UP: e->kind = GFX_BUTTON_UP; break;
	case TI_WHEEL: e->kind = GFX_WHEEL; break;
	case TI_TEXT: e->kind = GFX_TEXT; break;
	default: return -1;
	}
	e->key.sdl_key = t->code;
	e->key.scancode = (uint16_t)t->scancode;
	e->key.sdl1_sym = (uint16_t)t->sdl1_sym;
	e->key.x_keysym = t->x_keysym;
	e->key.mods = (uint16_t)t->mod;
	e->key.unicode = t->unicode;
	e->x = t->x;
	e->y = t->y;
	e->button = t->button;
	e->wheel = t->wheel;
	snprintf(e->text, sizeof e->text, "%s", t->value);
	return 0;
}
