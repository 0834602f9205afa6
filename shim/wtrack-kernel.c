/* The kernel's side of write tracking (see wtrack-kernel.h):
 * userfaultfd's asynchronous write-protection read back through
 * PAGEMAP_SCAN, and soft-dirty bits. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sys.h"
#include "uffd-abi.h"
#include "wtrack-kernel.h"

#define PAGE ((uintptr_t)4096)
#define SCAN_VEC 512         /* runs a PAGEMAP_SCAN call returns: 8 KiB of stack */

static struct {
	int uffd, pagemap, clear_refs;
	int uffd_flags;             /* how the userfaultfd was opened */
	int uffd_dev;               /* 1: through /dev/userfaultfd */
	char *why;                  /* a probe's reasons */
	size_t whylen;
} k = { .uffd = -1, .pagemap = -1, .clear_refs = -1 };

static void
why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Add a reason to the probe's WHY ("; " between them). */
static void
why(const char *fmt, ...)
{
	size_t n = strlen(k.why);
	va_list ap;
	if (n && n + 2 < k.whylen) {
		memcpy(k.why + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(k.why + n, k.whylen - n, fmt, ap);
	va_end(ap);
}

static long
xioctl(int fd, unsigned long req, void *arg)
{
	return sys_call(SYS_ioctl, fd, req, arg);
}

/* --- userfaultfd write-protection --------------------------------------- */

/* A userfaultfd with asynchronous write-protection: user-mode only first
 * (allowed to anyone since Linux 5.11, whatever
 * vm.unprivileged_userfaultfd says), then the plain call (a kernel that
 * knows no such flag), then /dev/userfaultfd (where the system call is
 * refused). PROBE: find the way and note why not; otherwise open
 * it the way found. Returns the descriptor or -1. */
static int
uffd_open(int probe)
{
	int fd = -1, err = 0;

	if (probe) {
		static const int tries[] = { UFFD_USER_MODE_ONLY, 0 };
		for (int i = 0; i < 2 && fd < 0; i++) {
			fd = (int)sys_call(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
			    tries[i]);
			if (fd >= 0)
				k.uffd_flags = tries[i];
			else if (!err || err == EINVAL)
				err = errno;
			if (fd < 0 && errno != EINVAL)
				break;   /* not a flag the kernel does not know */
		}
		if (fd < 0 && err != ENOSYS) {
			int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
			if (dev >= 0) {
				fd = (int)xioctl(dev, USERFAULTFD_IOC_NEW,
				    (void *)(long)(O_CLOEXEC | O_NONBLOCK |
				    UFFD_USER_MODE_ONLY));
				close(dev);
				k.uffd_dev = fd >= 0;
				k.uffd_flags = UFFD_USER_MODE_ONLY;
			}
		}
		if (fd < 0) {
			if (err == ENOSYS)
				why("wp: this kernel has no userfaultfd");
			else if (err == EPERM || err == EACCES)
				why("wp: userfaultfd not permitted (refused even user-"
				    "mode only; vm.unprivileged_userfaultfd is 0 and "
				    "/dev/userfaultfd not accessible)");
			else
				why("wp: userfaultfd: %s", strerror(err));
			return -1;
		}
	} else if (k.uffd_dev) {
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		if (dev < 0)
			return -1;
		fd = (int)xioctl(dev, USERFAULTFD_IOC_NEW, (void *)(long)(O_CLOEXEC |
		    O_NONBLOCK | k.uffd_flags));
		close(dev);
	} else {
		fd = (int)sys_call(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
		    k.uffd_flags);
	}
	if (fd < 0)
		return -1;
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};
	if (xioctl(fd, UFFDIO_API, &api) != 0 || (api.features &
	    (UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED)) !=
	    (UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED)) {
		if (probe)
			why("wp: userfaultfd has no asynchronous write-protection "
			    "(UFFD_FEATURE_WP_ASYNC and WP_UNPOPULATED need Linux "
			    "6.7): %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
wtk_wp_register(uintptr_t lo, uintptr_t hi)
{
	struct uffdio_register r = {
		.range = { lo, hi - lo }, .mode = UFFDIO_REGISTER_MODE_WP,
	};
	return xioctl(k.uffd, UFFDIO_REGISTER, &r) == 0 ? 0 : -1;
}

int
wtk_wp_scan(uintptr_t lo, uintptr_t hi, int protect, wtk_run_fn fn, void *arg)
{
	struct gh_page_region vec[SCAN_VEC];
	uint64_t cat = GH_PAGE_IS_WRITTEN;
	struct gh_pm_scan_arg a = {
		.size = sizeof a,
		.flags = GH_PM_SCAN_CHECK_WPASYNC |
		    (protect ? GH_PM_SCAN_WP_MATCHING : 0),
		.start = lo, .end = hi,
		.vec = (uintptr_t)vec, .vec_len = SCAN_VEC,
		.category_mask = cat, .return_mask = cat,
	};
	for (;;) {
		long n = xioctl(k.pagemap, GH_PAGEMAP_SCAN, &a);
		if (n < 0)
			return -1;
		for (long i = 0; i < n; i++)
			fn(vec[i].start, vec[i].end, arg);
		if (a.walk_end >= hi || (n == 0 && a.walk_end <= a.start))
			return 0;
		a.start = a.walk_end;
	}
}

static void
probe_hit(uintptr_t lo, uintptr_t hi, void *arg)
{
	uintptr_t *got = arg;
	if (got[0] == 0)
		got[0] = lo;
	got[1] = hi;
	got[2]++;
}

/* Whether write-protection works: a page of two written after
 * protecting both must be the only one found, and not found again. */
int
wtk_wp_probe(char *whybuf, size_t whylen)
{
	k.why = whybuf;
	k.whylen = whylen;
	k.uffd = uffd_open(1);
	if (k.uffd < 0)
		return -1;
	k.pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (k.pagemap < 0) {
		why("wp: /proc/self/pagemap: %s", strerror(errno));
		goto fail;
	}
	volatile uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		why("wp: no memory to probe with");
		goto fail;
	}
	uintptr_t lo = (uintptr_t)p, got[3] = { 0, 0, 0 }, again[3] = { 0, 0, 0 };
	int ok = wtk_wp_register(lo, lo + 2 * PAGE) == 0;
	if (!ok)
		why("wp: cannot register for write-protection: %s",
		    strerror(errno));
	p[0] = 1;
	p[PAGE] = 1;
	uintptr_t first[3] = { 0, 0, 0 };
	if (ok && wtk_wp_scan(lo, lo + 2 * PAGE, 1, probe_hit, first) != 0) {
		ok = 0;
		why("wp: no PAGEMAP_SCAN (Linux 6.7): %s", strerror(errno));
	}
	p[PAGE + 1] = 1;
	if (ok && wtk_wp_scan(lo, lo + 2 * PAGE, 1, probe_hit, got) != 0)
		ok = 0;
	if (ok && wtk_wp_scan(lo, lo + 2 * PAGE, 0, probe_hit, again) != 0)
		ok = 0;
	munmap((void *)p, 2 * PAGE);
	if (ok && (first[0] != lo || first[1] != lo + 2 * PAGE || got[2] != 1 ||
	    got[0] != lo + PAGE || got[1] != lo + 2 * PAGE || again[2] != 0)) {
		ok = 0;
		why("wp: the kernel found the wrong pages written in a probe");
	}
	if (ok)
		return 0;
fail:
	if (k.uffd >= 0)
		close(k.uffd);
	if (k.pagemap >= 0)
		close(k.pagemap);
	k.uffd = k.pagemap = -1;
	return -1;
}

/* --- soft-dirty bits ---------------------------------------------------- */

int
wtk_sd_clear(void)
{
	return pwrite(k.clear_refs, "4", 1, 0) == 1 ? 0 : -1;
}

/* Whether the soft-dirty bit of the page at ADDR is set: 1, 0, -1. */
static int
soft_dirty_bit(uintptr_t addr)
{
	uint64_t e;
	if (pread(k.pagemap, &e, 8, (off_t)(addr / PAGE * 8)) != 8)
		return -1;
	return (e & GH_PM_SOFT_DIRTY) != 0;
}

int
wtk_sd_probe(char *whybuf, size_t whylen)
{
	k.why = whybuf;
	k.whylen = whylen;
	k.pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	k.clear_refs = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	volatile uint8_t *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok = 0;
	if (k.pagemap < 0 || k.clear_refs < 0 || p == MAP_FAILED) {
		why("soft-dirty: /proc/self/pagemap or clear_refs: %s",
		    strerror(errno));
	} else {
		p[0] = 1;
		int before = wtk_sd_clear() == 0 ? soft_dirty_bit((uintptr_t)p) :
		    -1;
		p[0] = 2;
		int after = soft_dirty_bit((uintptr_t)p);
		ok = before == 0 && after == 1;
		if (!ok)
			why("soft-dirty: the kernel keeps no soft-dirty bits "
			    "(CONFIG_MEM_SOFT_DIRTY off: bit 55 of "
			    "/proc/self/pagemap %s)", after == 1 ? "is never "
			    "cleared" : "stays 0 after a write");
	}
	if (p != MAP_FAILED)
		munmap((void *)p, PAGE);
	if (ok)
		return 0;
	if (k.pagemap >= 0)
		close(k.pagemap);
	if (k.clear_refs >= 0)
		close(k.clear_refs);
	k.pagemap = k.clear_refs = -1;
	return -1;
}

int
wtk_wp_open(void)
{
	if (k.uffd < 0)
		k.uffd = uffd_open(0);
	return k.uffd < 0 ? -1 : 0;
}

void
wtk_wp_close(void)
{
	if (k.uffd >= 0)
		close(k.uffd);
	k.uffd = -1;
}

int
wtk_sd_scan(uintptr_t lo, uintptr_t hi, wtk_run_fn fn, void *arg)
{
	uint64_t e[512];
	for (uintptr_t a = lo; a < hi; ) {
		size_t n = (hi - a) / PAGE;
		if (n > 512)
			n = 512;
		ssize_t got = pread(k.pagemap, e, n * 8, (off_t)(a / PAGE * 8));
		if (got <= 0) {
			fn(a, hi, arg);   /* unknown: written */
			return -1;
		}
		n = (size_t)got / 8;
		for (size_t i = 0; i < n; i++)
			if (e[i] & GH_PM_SOFT_DIRTY)
				fn(a + i * PAGE, a + (i + 1) * PAGE, arg);
		a += n * PAGE;
	}
	return 0;
}
