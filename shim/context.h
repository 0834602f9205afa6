/* The game's launch context for a trace's header (FORMAT.md, "Launch
 * context"): its argument vector and environment as the process started
 * (/proc/self/cmdline and environ, untouched by a later setenv), with the
 * shim's own variables apart, and the directory and terminal it started
 * with. None of it comes from the game's heap: a replay's heap is laid out
 * as the recording's was, whatever the sizes. */
#ifndef GH_CONTEXT_H
#define GH_CONTEXT_H

#include "../common/trace.h"

/* At start-up, before the game's main(): the directory and terminal. */
void context_capture(void);

/* The context into *C, in mapped memory of its own: 0, or -1 (none could
 * be read; *C is then empty). context_release gives the memory back. */
int context_get(struct trace_context *c);
void context_release(struct trace_context *c);
/* At most the bytes C takes in a serialized header. */
size_t context_bytes(const struct trace_context *c);

#endif
