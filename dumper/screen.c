/* dumper screen: the game's screen at one frame of a trace that keeps it
 * (HOOK_TRACE_SCREEN=1, `trace start PATH --screen`), rebuilt from the
 * rows each record carries: every row in a keyframe, the changed ones
 * otherwise. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dumper.h"

struct scr {
	char *row[TRACE_SCREEN_ROWS_MAX];
	uint32_t height;
	int whole;              /* every row known since the last damage */
	int any;                /* some frame carried a screen */
};

/* Apply the rows of the frame T is at. */
static int
apply(struct scr *s, const struct trace_reader *t)
{
	uint32_t h, cr, cc, row;
	int n = trace_screen(t, &h, &cr, &cc);
	if (n < 0)
		return 0;
	s->any = 1;
	s->height = h < TRACE_SCREEN_ROWS_MAX ? h : TRACE_SCREEN_ROWS_MAX;
	for (int i = 0; i < n; i++) {
		const char *attrs;
		const char *text = trace_screen_row(t, i, &row, &attrs);
		if (row >= TRACE_SCREEN_ROWS_MAX)
			continue;
		char *copy = strdup(text);
		if (copy == NULL)
			return -1;
		free(s->row[row]);
		s->row[row] = copy;
	}
	if (t->keyframe)
		s->whole = 1;
	return 0;
}

static void
print(const struct scr *s, int json)
{
	struct sbuf b = { 0 };
	if (json)
		sb_put(&b, "[", 1);
	for (uint32_t y = 0; y < s->height; y++) {
		const char *r = s->row[y] ? s->row[y] : "";
		if (json) {
			if (y)
				sb_put(&b, ",", 1);
			sb_json_str(&b, r);
		} else {
			sb_puts(&b, r);
			sb_put(&b, "\n", 1);
		}
	}
	if (json)
		sb_put(&b, "]\n", 2);
	fwrite(b.p ? b.p : "", 1, b.len, stdout);
	sb_free(&b);
}

int
cmd_screen(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0, has_frame = 0;
	int64_t frame = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--frame") == 0) {
			if ((v = opt_value(argc, argv, &i, "screen")) == NULL)
				return EX_USAGE;
			if (parse_int64(v, &frame) != 0)
				return usage_error("screen", "--frame takes a frame "
				    "number, not '%s'", v);
			has_frame = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("screen", "unknown option '%s'", a);
		} else if (path == NULL) {
			path = a;
		} else {
			return usage_error("screen", "one trace at a time");
		}
	}
	if (path == NULL)
		return usage_error("screen", "which trace? (- for standard input)");

	struct input in;
	int r = in_open(&in, path, 0);
	if (r) {
		in_close(&in);
		return r;
	}
	struct scr s = { 0 };
	int found = 0, at_whole = 0;
	int64_t last = -1;
	enum trace_ev ev;
	while ((ev = in_next(&in)) != TEV_END && ev != TEV_ERROR) {
		if (ev != TEV_FRAME) {
			s.whole = 0;    /* rows may be missing until a keyframe */
			continue;
		}
		if (has_frame && in.t->frame > frame)
			break;
		if (apply(&s, in.t) != 0) {
			dwarn("out of memory");
			r = EX_USAGE;
			break;
		}
		last = in.t->frame;
		at_whole = s.whole;
		if (has_frame && in.t->frame == frame) {
			found = 1;
			break;
		}
	}
	if (r == 0 && ev == TEV_ERROR)
		r = EX_USAGE;
	if (r == 0 && !s.any) {
		dwarn("%s keeps no screen (record with HOOK_TRACE_SCREEN=1 or "
		    "`trace start PATH --screen`)", path);
		r = EX_DAMAGED;
	} else if (r == 0 && has_frame && !found) {
		dwarn("%s: no frame %" PRId64 " (the last read: %" PRId64 ")",
		    path, frame, last);
		r = EX_DAMAGED;
	} else if (r == 0) {
		if (!at_whole)
			dwarn("%s: frame %" PRId64 ": rows lost to damage since "
			    "the last keyframe are blank", path, last);
		print(&s, json);
		r = in.damage_seen || !at_whole ? EX_DAMAGED : EX_CLEAN;
	}
	for (int i = 0; i < TRACE_SCREEN_ROWS_MAX; i++)
		free(s.row[i]);
	in_close(&in);
	return r;
}
