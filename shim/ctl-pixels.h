/* The `screenshot` command (ctl-pixels.c). */
#ifndef GH_CTL_PIXELS_H
#define GH_CTL_PIXELS_H

struct client;

/* screenshot [PATH] [--size WxH] [--gray]: for C, from its words. */
void cmd_screenshot(struct client *c, int argc, char **argv);

#endif
