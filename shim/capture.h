/* Capture at frame boundaries: when someone records or watches, the frame
 * thread brings one copy of the state up to date at each boundary (so a
 * snapshot is never torn by the game's own loop) and hands it to the trace
 * writer (record.c) and to the watchers. With nobody listening a boundary
 * costs one relaxed load. */
#ifndef GH_CAPTURE_H
#define GH_CAPTURE_H

#include <stdatomic.h>
#include <stdint.h>

#include "../common/trace.h"

/* Non-zero while a boundary must capture. */
extern _Atomic int capture_want;

/* Set up after the layout loaded (state_init). Returns 0 or -1. */
int capture_init(void);

/* Frame thread: capture frame F. */
void capture_boundary(int64_t f);

/* --- inputs, for the trace (control thread produces, frame thread
 * consumes) --- */
void capture_note_input(int64_t frame, const struct trace_input *in);
/* Frame thread: the inputs noted for frames up to F, at most MAX. */
int capture_take_inputs(int64_t f, struct trace_input *out, int max);

/* --- watchers (control thread) --- */
/* Count a watcher in or out; capture runs while any is in. */
void capture_watchers(int delta);
/* Drain the watch ring: FN(frame, vtime, blob, unreadable) per frame. */
void capture_watch_drain(void (*fn)(int64_t f, int64_t vtime,
    const uint8_t *blob, const uint8_t *unreadable));

/* Recompute capture_want (recording or watching). */
void capture_update_want(void);

#endif
