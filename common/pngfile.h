/* PNG files of 8-bit pictures (libpng), written by the shim's `screenshot`
 * and by `dumper frames`. */
#ifndef GH_PNGFILE_H
#define GH_PNGFILE_H

#include <stddef.h>
#include <stdint.h>

/* Write W x H pixels of CHANNELS bytes (1: gray, 3: RGB), rows top to
 * bottom, as a PNG file at PATH (created close-on-exec, replaced).
 * Returns 0, or -1 with a message in ERR. */
int png_write(const char *path, const uint8_t *px, int w, int h,
    int channels, char *err, size_t errlen);

#endif
