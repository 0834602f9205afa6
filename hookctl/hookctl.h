/* hookctl: talks to a running game's control socket; launches games under
 * the shim. */
#ifndef GH_HOOKCTL_H
#define GH_HOOKCTL_H

/* Print one line "hookctl: ..." to stderr and exit with status 2. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* `hookctl run [options] -- GAME ARGS...`; returns the exit status. */
int launch_main(int argc, char **argv);

#endif
