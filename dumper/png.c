/* dumper png: the pictures of a trace that keeps them (HOOK_TRACE_PIXELS,
 * `trace start PATH --pixels`) as PNG files, one a frame, rebuilt from
 * each record's picture or its XOR with the one before. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/pngfile.h"
#include "dumper.h"

int
cmd_png(int argc, char **argv)
{
	const char *path = NULL, *dir = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-o") == 0) {
			if (i + 1 >= argc)
				return usage_error("png", "-o takes a directory");
			dir = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("png", "unknown option '%s'", a);
		} else if (path == NULL) {
			path = a;
		} else {
			return usage_error("png", "one trace at a time");
		}
	}
	if (path == NULL || dir == NULL)
		return usage_error("png", "usage: dumper png TRACE -o DIR");
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		dwarn("%s: %s", dir, strerror(errno));
		return EX_USAGE;
	}
	struct input in;
	int r = in_open(&in, path, 0);
	if (r) {
		in_close(&in);
		return r;
	}
	uint64_t written = 0, missing = 0, any = 0;
	enum trace_ev ev;
	while ((ev = in_next(&in)) != TEV_END && ev != TEV_ERROR) {
		if (ev != TEV_FRAME)
			continue;
		uint32_t w, h, ch;
		int64_t at;
		const uint8_t *px = trace_pixels(in.t, &w, &h, &ch, &at);
		if (px == NULL) {
			missing += trace_frame_has_pixels(in.t);
			continue;
		}
		any = 1;
		char file[4096], err[512];
		snprintf(file, sizeof file, "%s/%08" PRId64 ".png", dir,
		    in.t->frame);
		if (png_write(file, px, (int)w, (int)h, (int)ch, err,
		    sizeof err) != 0) {
			dwarn("%s", err);
			in_close(&in);
			return EX_USAGE;
		}
		written++;
	}
	if (ev == TEV_ERROR)
		r = EX_USAGE;
	else if (!any && missing == 0) {
		dwarn("%s keeps no pictures (record with HOOK_TRACE_PIXELS=1 "
		    "or `trace start PATH --pixels`)", path);
		r = EX_DAMAGED;
	} else {
		if (missing)
			dwarn("%s: %" PRIu64 " pictures lost to damage (until the "
			    "next whole one)", path, missing);
		r = in.damage_seen || missing ? EX_DAMAGED : EX_CLEAN;
	}
	printf("%" PRIu64 " pictures in %s\n", written, dir);
	in_close(&in);
	return r;
}
