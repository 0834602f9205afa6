/* Injected input: keys queued by the control thread for given frames, and
 * handed to the game through whichever call it reads the keyboard with.
 * One producer (the control thread) and one consumer (the game thread that
 * reads input); lock-free. */
#ifndef GH_INPUT_H
#define GH_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/keys.h"

#define INPUT_RING 4096
#define INPUT_HELD_MAX 16

/* --- producer (control thread) --- */

/* Queue KEY for delivery from frame FRAME on. Returns 0, or -1 when the
 * queue is full. */
int input_push(const struct key_def *key, int64_t frame);
/* Free slots in the queue. */
size_t input_space(void);
/* Hold KEY: it is delivered once every frame until released. Returns 0, or
 * -1 when INPUT_HELD_MAX keys are held already. */
int input_hold(const struct key_def *key);
/* Release a held key; returns 0, or -1 when it was not held. */
int input_release(const struct key_def *key);
/* Whether the real keyboard is ignored (lockstep default). */
void input_set_ignore_real(int ignore);
int input_ignore_real(void);

/* --- frame thread --- */

/* A snapshot was loaded: drop every queued key, held key and part-read
 * sequence (they belonged to the frames the game left). */
void input_reset(void);

/* Frame F begins: inputs queued for frames up to F become readable. */
void input_frame_begin(int64_t f);
/* The frame whose inputs are readable now (any thread). */
int64_t input_frame(void);

/* --- consumer (the thread that reads input) --- */

/* True when injected input is readable now. */
int input_pending(void);
/* Next key as a curses code; returns 1 and sets *code, or 0 when none. */
int input_take_code(int *code);
/* Injected bytes for read(): up to N bytes into BUF; returns the count. */
size_t input_take_bytes(void *buf, size_t n);

#endif
