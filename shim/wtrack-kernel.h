/* The kernel's side of write tracking (wtrack-kernel.c), for wtrack.c:
 * userfaultfd's asynchronous write-protection, read back and renewed
 * through the PAGEMAP_SCAN ioctl, and the soft-dirty bits of
 * /proc/self/pagemap. Addresses are page-aligned; a run is [lo, hi). */
#ifndef GH_WTRACK_KERNEL_H
#define GH_WTRACK_KERNEL_H

#include <stddef.h>
#include <stdint.h>

typedef void (*wtk_run_fn)(uintptr_t lo, uintptr_t hi, void *arg);

/* Whether write-protection works here, tried on two pages of its own
 * (one written after protecting both must be the only one found, and not
 * again once protected). Returns 0 and keeps the userfaultfd and pagemap
 * open, or -1 having added why not to WHY (LEN bytes, "; " between
 * reasons). */
int wtk_wp_probe(char *why, size_t len);
/* A userfaultfd opened the way the probe found (kept until close);
 * closing it unregisters every range. 0 or -1 with errno. */
int wtk_wp_open(void);
void wtk_wp_close(void);
/* Register [LO, HI) for asynchronous write-protection. 0 or -1. */
int wtk_wp_register(uintptr_t lo, uintptr_t hi);
/* FN on each run of pages of [LO, HI) written since they were last
 * protected (and on pages never protected); with PROTECT, protect them
 * again in the same walk. Returns 0, or -1 where a mapping in the range
 * is not registered (replaced since, say): then FN has seen only part. */
int wtk_wp_scan(uintptr_t lo, uintptr_t hi, int protect, wtk_run_fn fn,
    void *arg);

/* Whether soft-dirty bits are kept (a page written after clearing them
 * must show the bit). 0, or -1 having added why not to WHY. */
int wtk_sd_probe(char *why, size_t len);
/* Clear every soft-dirty bit of the process. 0 or -1. */
int wtk_sd_clear(void);
/* FN on each soft-dirty page of [LO, HI) (on the rest of the range when
 * pagemap cannot be read: -1). */
int wtk_sd_scan(uintptr_t lo, uintptr_t hi, wtk_run_fn fn, void *arg);

#endif
