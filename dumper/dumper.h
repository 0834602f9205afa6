/* dumper: reading gamehook traces offline or from a live pipe. What the
 * command files (dumper.c, cat.c, npy.c, replay.c) share: the input, a
 * reader loop that counts and reports damage, option parsing. */
#ifndef GH_DUMPER_H
#define GH_DUMPER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sbuf.h"
#include "trace.h"

/* Exit statuses: 0 clean, 1 the trace is damaged (or is none), 2 usage or
 * I/O errors. */
enum { EX_CLEAN = 0, EX_DAMAGED = 1, EX_USAGE = 2 };

/* Text is made in common/sbuf.h's buffers. Before B's text is used: out
 * of memory while making it is fatal (one line, exit status 2). */
void need_text(const struct sbuf *b);

/* A trace being read, with what the reader loop learnt of it. */
struct input {
	const char *name;       /* as given: "-" is standard input */
	int fd;
	int regular;            /* a regular file: can seek */
	struct trace_reader *t;
	uint64_t base;          /* stream offset of the reader's offset 0 */
	const void *header;     /* the header of the frames being read */
	int verify_style;       /* problems to stdout as "offset O: WHY" */
	/* totals */
	uint64_t headers, gap_lost;
	int64_t first_frame, last_frame;   /* of frames that arrived */
	int any_frame;
	int64_t prev_frame;     /* the frame before, in this header; -1 */
	int after_damage;       /* damage since the frame before */
	int in_loss;            /* frames arrive without their state */
	int damage_seen;        /* exit status 1 */
	uint64_t end_offset;    /* stream offset where input ended */
};

/* Set IN up for reading: nothing open yet. VERIFY_STYLE: problems go to
 * standard output as "offset O: WHY". */
void in_init(struct input *in, int verify_style);
/* Open PATH ("-": standard input) as IN's descriptor, not reading it yet:
 * 0, or prints why and returns EX_USAGE. */
int in_open_fd(struct input *in, const char *path);
/* Open PATH ("-": standard input): 0, or prints why and returns EX_USAGE
 * (cannot open) or EX_DAMAGED (no trace header). */
int in_open(struct input *in, const char *path, int verify_style);
/* Open the trace at its header at stream offset HDR (a regular file),
 * then go on reading at offset AT (a record's envelope). */
int in_open_at(struct input *in, const char *path, uint64_t hdr, uint64_t at);
void in_close(struct input *in);
/* The next event, after reporting damage and lost frames. */
enum trace_ev in_next(struct input *in);
/* Frames lost: those arriving without state and those missing from the
 * numbering across damage. */
uint64_t in_lost(const struct input *in);
/* Report a problem at stream offset OFF. */
void in_problem(struct input *in, uint64_t off, const char *why);
/* Report an error that is not about the trace's contents. */
void dwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The frame's inputs as a JSON array. */
void sb_inputs(struct sbuf *b, const struct trace_reader *t);
/* The frame's screen rows, when the trace keeps them, as a
 * ,"screen":{"height":H,"cursor":[ROW,COL],"rows":{"ROW":TEXT,...},
 * "attrs":{"ROW":RUNS,...}} member; nothing otherwise. */
void sb_screen(struct sbuf *b, const struct trace_reader *t);

/* Commands: each returns the exit status. ARGV[0] is the command. */
int cmd_info(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_npy(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_screen(int argc, char **argv);
int cmd_png(int argc, char **argv);

/* Option parsing shared by the commands: the next argument after *I as
 * an option's value, or NULL after complaining. */
const char *opt_value(int argc, char **argv, int *i, const char *cmd);
int parse_int64(const char *s, int64_t *v);
int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Where to start reading a regular file to see frame FROM: the stream
 * offsets of the header in force and of the last keyframe at or before
 * FROM, found by reading envelopes only. 0, or -1 when reading from the
 * start is as good. */
int seek_plan(int fd, int64_t from, uint64_t *hdr, uint64_t *key);

#endif
