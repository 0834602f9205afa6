/* PNG writing with libpng (see pngfile.h). */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <string.h>

#include "pngfile.h"

static void
on_error(png_structp p, png_const_charp msg)
{
	char *err = png_get_error_ptr(p);
	snprintf(err, 256, "png: %s", msg);
	png_longjmp(p, 1);
}

static void
on_warning(png_structp p, png_const_charp msg)
{
	(void)p;
	(void)msg;
}

int
png_write(const char *path, const uint8_t *px, int w, int h, int channels,
    char *err, size_t errlen)
{
	char perr[256] = "";
	FILE *f = fopen(path, "wbe");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, perr,
	    on_error, on_warning);
	png_infop info = p ? png_create_info_struct(p) : NULL;
	if (p == NULL || info == NULL) {
		png_destroy_write_struct(&p, NULL);
		fclose(f);
		snprintf(err, errlen, "png: out of memory");
		return -1;
	}
	if (setjmp(png_jmpbuf(p))) {
		png_destroy_write_struct(&p, &info);
		fclose(f);
		snprintf(err, errlen, "%s: %s", path, perr);
		return -1;
	}
	png_init_io(p, f);
	/* Fast deflate: a screenshot a step must not cost more than the
	 * step. */
	png_set_compression_level(p, 1);
	png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, 8,
	    channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(p, info);
	for (int y = 0; y < h; y++)
		png_write_row(p, px + (size_t)y * (size_t)w * (size_t)channels);
	png_write_end(p, NULL);
	png_destroy_write_struct(&p, &info);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
