/* The inputs file `dumper replay` hands the shim (HOOK_REPLAY): a header
 * and the recorded inputs, in frame order, as fixed-size entries the shim
 * maps read-only. Nothing is parsed or allocated in the game, so a replayed
 * game's heap is laid out as the recorded one was (a game keeps heap
 * addresses in its state). Both sides are the same build. */
#ifndef GH_REPLAYFILE_H
#define GH_REPLAYFILE_H

#include <stdint.h>

#include "trace.h"

#define REPLAYFILE_MAGIC "GHRPIN1"

struct replayfile_header {
	char magic[8];             /* REPLAYFILE_MAGIC, NUL-padded */
	uint32_t entry_size;       /* sizeof(struct replayfile_entry) */
	uint32_t reserved;
	uint64_t count;
};

struct replayfile_entry {
	int64_t frame;             /* the frame the input applies to */
	struct trace_input in;
};

#endif
