/* The game's state as the layout names it: loading the layout at start-up,
 * reading every field at a frame boundary without ever faulting (a field
 * whose memory is unreadable is marked so), and writing one value. */
#ifndef GH_STATE_H
#define GH_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/layout.h"
#include "../common/trace.h"

/* Load HOOK_LAYOUT (or the raw layout of the executable) and resolve it.
 * Before main(); an error is kept for state_error(), never fatal. */
void state_init(const char *layout_path);
/* The loaded layout, or NULL (then state_error() says why). */
const struct layout *state_layout(void);
const char *state_error(void);
/* The layout's JSON text and where it came from ("raw" without one). */
const char *state_layout_json(void);
const char *state_layout_source(void);

/* What a blob kept up to date frame after frame remembers between syncs,
 * so that only what the game wrote since is compared (write tracking's
 * mark at the last sync, and where each field was and how long). */
struct state_memo {
	uint32_t mark;
	uintptr_t *at;
	uint32_t *len;
	uint8_t *bad;
};
/* Room for a memo of the loaded layout. Returns 0 or -1. */
int state_memo_init(struct state_memo *m);

/* Frame thread: bring BLOB (layout->blob_size bytes, holding the last
 * state read into it) up to date with the game, one flag per field in
 * UNREADABLE. Records the changed bytes as up to MAX runs (blob offsets,
 * sorted) and returns their count, or -1 when there were more (BLOB is
 * brought up to date all the same). With MEMO (the same blob's, every
 * time) and write tracking on, only the pages written since the last sync
 * are compared: a field in the executable, page by page; a field reached
 * otherwise, whole, unless it is where it was, as long, and none of its
 * pages was written. MEMO NULL: every field is compared. */
long state_sync(uint8_t *blob, uint8_t *unreadable, struct trace_run *runs,
    long max, struct state_memo *memo);

/* Frame thread: write LEN bytes at P's place. Returns 0, or -1 with ERR
 * set (the chain leads nowhere, the memory is not writable). */
int state_write(const struct lt_place *p, const uint8_t *val, size_t len,
    char *err, size_t errlen);

#endif
