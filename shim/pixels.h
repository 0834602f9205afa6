/* The presented picture: read at a presentation boundary, before the
 * present (the GL back buffer, the renderer's target, the window surface),
 * into a buffer of the shim's own, as 8-bit RGB rows top to bottom. */
#ifndef GH_PIXELS_H
#define GH_PIXELS_H

#include <stddef.h>
#include <stdint.h>

/* Frame thread, at a presentation: whether the picture should be read
 * (the game stops at this boundary, a request waits, a trace records
 * frames). */
int pixels_wanted(void);

/* Frame thread: room for a W x H picture of BPP bytes a pixel, or NULL
 * (logged) when it cannot be had. */
uint8_t *pixels_room(int w, int h, int bpp);

/* Frame thread: the picture in the room is complete (W x H RGB), for the
 * boundary about to be passed. */
void pixels_done(int w, int h);

/* Frame thread: forget the picture (a load changed the game under it). */
void pixels_forget(void);

/* Control requests ask for the picture of the next boundary. */
void pixels_request(int on);

/* The picture and the frame it was read at (-1: none yet). Only while the
 * frame thread is not presenting (at the gate, or in a request). */
const uint8_t *pixels_get(int *w, int *h, int64_t *frame);

/* Box-filter SRC (SW x SH RGB) down (or up, by nearest) to DW x DH into
 * DST, RGB or with GRAY one byte a pixel (ITU-R BT.601 luma). */
void pixels_scale(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw,
    int dh, int gray);

#endif
