/* Busy loops: a frame thread that reads the clock, or looks for input or
 * readiness without waiting, again and again while virtual time stands
 * still is waiting for time to pass in its own way. After SPIN_LIMIT such
 * calls in a row the shim takes that as where the frame's work ended: a
 * frame boundary (HOOK_FRAME=auto, or =spin), then virtual time moves one
 * frame period on. The count is of the game's own calls on its frame
 * thread, so the boundary falls at the same call in every run. */
#ifndef GH_SPIN_H
#define GH_SPIN_H

#define SPIN_LIMIT 1024
#define SPIN_FRAME_NS (1000000000LL / 60)

/* What the game did that waited for nothing. */
enum spin_kind {
	SPIN_CLOCK,      /* read a clock */
	SPIN_POLL,       /* a wait that returned at once (or a 0 timeout) */
	SPIN_INPUT,      /* a non-blocking read that found nothing */
};

/* Count one such call from CALLER (a return address, for the log). */
void spin_note(enum spin_kind why, const void *caller);

#endif
