/* The `screenshot` command (ctl-pixels.c). */
#ifndef GH_CTL_PIXELS_H
#define GH_CTL_PIXELS_H

struct client;

/* screenshot [PATH] [--size WxH] [--gray] [--shm]: for C, from its words. */
void cmd_screenshot(struct client *c, int argc, char **argv);

/* C passed FD (SCM_RIGHTS): memory for its pictures (--shm). It replaces
 * the one before; FD is C's to close from now on. */
void pixshm_take(struct client *c, int fd);
/* C is going: its shared memory is unmapped and closed. */
void pixshm_drop(struct client *c);

#endif
