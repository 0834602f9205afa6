/* dumper's `verify` (read every record, list damage and lost frames) and
 * `record` (one record's payload, raw) commands. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dumper.h"
#include "rec.h"

/* --- verify -------------------------------------------------------------- */

int
cmd_verify(int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error("verify", "unknown option '%s'", argv[i]);
		else if (path == NULL)
			path = argv[i];
		else
			return usage_error("verify", "one trace at a time");
	}
	if (path == NULL)
		return usage_error("verify", "which trace? (- for standard input)");

	struct input in;
	int r = in_open(&in, path, 1);
	if (r) {
		in_close(&in);
		return r;
	}
	enum trace_ev ev;
	while ((ev = in_next(&in)) != TEV_END && ev != TEV_ERROR)
		;
	const struct trace_reader *t = in.t;
	printf("%" PRIu64 " records, %" PRIu64 " frames, %" PRIu64 " keyframes, %"
	    PRIu64 " damaged, %" PRIu64 " frames lost\n", in.headers + t->frames,
	    t->frames, t->keyframes, t->damaged, in_lost(&in));
	fflush(stdout);
	r = ev == TEV_ERROR ? EX_USAGE : in.damage_seen ? EX_DAMAGED : EX_CLEAN;
	in_close(&in);
	return r;
}

/* --- record -------------------------------------------------------------- */

int
cmd_record(int argc, char **argv)
{
	const char *path = NULL, *which = NULL;
	int64_t frame = 0;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0' && path == NULL)
			return usage_error("record", "unknown option '%s'", argv[i]);
		else if (path == NULL)
			path = argv[i];
		else if (which == NULL)
			which = argv[i];
		else
			return usage_error("record", "too many arguments");
	}
	if (path == NULL || which == NULL)
		return usage_error("record", "usage: dumper record TRACE N|header");
	int header = strcmp(which, "header") == 0;
	if (!header && parse_int64(which, &frame) != 0)
		return usage_error("record", "'%s' is neither a frame number nor "
		    "'header'", which);

	struct input in;
	in_init(&in, 0);
	int r = in_open_fd(&in, path);
	if (r)
		return r;
	struct rec_reader *rr = rec_reader_open(in.fd);
	if (rr == NULL) {
		dwarn("out of memory");
		return EX_USAGE;
	}
	struct rec rec;
	enum rec_status s;
	r = EX_DAMAGED;
	while ((s = rec_next(rr, &rec)) != REC_END) {
		if (s == REC_IOERR) {
			dwarn("%s: offset %" PRIu64 ": %s", path, rec.offset, rec.why);
			r = EX_USAGE;
			break;
		}
		if (s != REC_OK)
			continue;
		if (header ? rec.kind == REC_HEADER : rec.kind == REC_FRAME &&
		    rec.frame == frame) {
			if (fwrite(rec.payload, 1, rec.payload_len, stdout) !=
			    rec.payload_len || fflush(stdout) != 0) {
				dwarn("standard output: %s", strerror(errno));
				r = EX_USAGE;
			} else {
				r = EX_CLEAN;
			}
			break;
		}
	}
	if (r == EX_DAMAGED) {
		if (header)
			dwarn("%s: no header record", path);
		else
			dwarn("%s: no frame %" PRId64, path, frame);
	}
	rec_reader_close(rr);
	in_close(&in);
	return r;
}
