/* Snapshots of the whole game in memory (see snapshot.h).
 *
 * What is saved: every private writable mapping in /proc/self/maps except
 * the shim's own (libhook.so's data, the memory it mapped, its threads'
 * stacks and malloc arena) and the stacks of the game's other threads
 * (asleep in the virtual clock, they keep their stacks; the clock gives
 * them back their deadlines). The frame thread's stack, from the save
 * point up, is kept as an image with its registers (_setjmp); a load
 * writes the memory back, then the image, then _longjmp()s into the save
 * point, so the game resumes exactly where it was saved, registers and
 * all. Nothing is allocated: the maps are read into a static buffer and a
 * snapshot's bytes are an image (snapshot-image.c): a memfd of its own, or
 * one standing on an earlier snapshot's memfd that holds only what was
 * written since. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "park.h"
#include "snapshot.h"
#include "snapshot-image.h"
#include "uffd-abi.h"
#include "vclock.h"
#include "vtimer.h"
#include "wtrack.h"
#include "xalloc.h"

#define EXCL_MAX 256
#define REGION_MAX SNAPSHOT_REGIONS
#define NAME_MAX_LEN 32
/* The most writable memory a snapshot copies. */
#define SNAPSHOT_LIMIT ((size_t)4 << 30)

/* Memory never saved or restored. */
static struct {
	struct mrange r[EXCL_MAX];
	_Atomic int used[EXCL_MAX];
	pthread_t owner[EXCL_MAX];   /* for stacks: the thread */
	int is_stack[EXCL_MAX];
} ex;

struct snap {
	char name[NAME_MAX_LEN];
	int64_t frame;
	struct snap_image img;      /* regions' bytes, then the stack's */
	size_t bytes;               /* bytes of state in it */
	int nregions;
	struct mrange region[REGION_MAX];
	uint8_t skip[REGION_MAX];   /* a load leaves this one alone */
	struct mrange stack;         /* the frame thread's stack image */
	uint8_t *stack_img;
	jmp_buf ctx;
	struct vclock_snap clock;
	struct vtimer_snap timers;  /* pending timers, timerfds' counts */
	struct park_snap parks;     /* where the parked threads wait */
	uint32_t xid;               /* its id in the X libraries' arena */
	uint32_t mark;              /* write tracking's mark at the save; 0 */
	uint32_t load_mark;         /* at the load under way */
};

static struct snap snaps[SNAPSHOT_MAX];
static struct snap tmp;         /* a snapshot being made */
/* The image of the last child snapshot dropped or saved over by a new
 * image: the next save whose regions it matches writes into it (its
 * pages are in memory already) what was written since its mark. */
static struct snap spare;
static struct mrange scan[REGION_MAX];
static size_t last_copied;      /* by the last save or load */
static int tracking_held;       /* snapshots hold write tracking */

static void
add_range(uintptr_t lo, uintptr_t hi, int stack)
{
	lo &= ~(uintptr_t)4095;
	hi = (hi + 4095) & ~(uintptr_t)4095;
	for (int i = 0; i < EXCL_MAX; i++) {
		int exp = 0;
		if (atomic_compare_exchange_strong(&ex.used[i], &exp, 2)) {
			ex.r[i].lo = lo;
			ex.r[i].hi = hi;
			ex.is_stack[i] = stack;
			ex.owner[i] = pthread_self();
			atomic_store(&ex.used[i], 1);
			return;
		}
	}
	hlog("snapshot: more than %d excluded ranges", EXCL_MAX);
}

/* The shim's own writable segments (its .data, and its .bss, whose tail is
 * an anonymous mapping with no name in /proc/self/maps). */
static int
own_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	if (info->dlpi_addr != (uintptr_t)arg)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W))
			add_range(info->dlpi_addr + ph->p_vaddr,
			    info->dlpi_addr + ph->p_vaddr + ph->p_memsz, 0);
	}
	return 1;
}

void
snapshot_init(void)
{
	Dl_info di;
	if (dladdr((void *)&snaps, &di) != 0 && di.dli_fbase != NULL) {
		/* dli_fbase is the load base of a PIC shared object. */
		struct link_map *lm = NULL;
		if (dladdr1((void *)&snaps, &di, (void **)&lm,
		    RTLD_DL_LINKMAP) != 0 && lm != NULL)
			dl_iterate_phdr(own_segments, (void *)lm->l_addr);
	}
}

void
snapshot_exclude(const void *addr, size_t len)
{
	if (addr != NULL && len > 0)
		add_range((uintptr_t)addr, (uintptr_t)addr + len, 0);
}

void
snapshot_unexclude(const void *addr)
{
	uintptr_t lo = (uintptr_t)addr;
	for (int i = 0; i < EXCL_MAX; i++)
		if (atomic_load(&ex.used[i]) == 1 && ex.r[i].lo == lo &&
		    !ex.is_stack[i])
			atomic_store(&ex.used[i], 0);
}

typedef int (*maps_fn)(uintptr_t lo, uintptr_t hi, const char *perms,
    const char *path, void *arg);

/* FN for each readable and writable mapping, asked of the kernel one at a
 * time (PROCMAP_QUERY, Linux 6.11): no text is formatted for the others,
 * which is what reading /proc/self/maps costs (half of a sync's time at
 * 256 MiB). Returns as maps_each does, or -2 when the kernel has no such
 * query (before FN was called). */
static int
maps_query(int fd, maps_fn fn, void *arg)
{
	static _Atomic int absent;
	char name[4096];
	uintptr_t addr = 0;

	if (atomic_load_explicit(&absent, memory_order_relaxed))
		return -2;
	for (int first = 1;; first = 0) {
		struct gh_procmap_query q = {
			.size = sizeof q,
			.query_flags = GH_PROCMAP_COVERING_OR_NEXT |
			    GH_PROCMAP_READABLE | GH_PROCMAP_WRITABLE,
			.query_addr = addr,
			.vma_name_addr = (uintptr_t)name,
			.vma_name_size = sizeof name,
		};
		if (ioctl(fd, GH_PROCMAP_QUERY, &q) != 0) {
			if (errno == ENOENT)
				return 0;   /* no more */
			if (first && (errno == ENOTTY || errno == EINVAL)) {
				atomic_store(&absent, 1);
				return -2;
			}
			return -1;
		}
		if (q.vma_name_size == 0)
			name[0] = '\0';
		const char perms[5] = { 'r', 'w', '-',
		    (q.vma_flags & GH_PROCMAP_SHARED) ? 's' : 'p', '\0' };
		int r = fn(q.vma_start, q.vma_end, perms, name, arg);
		if (r != 0)
			return r;
		addr = q.vma_end;
	}
}

/* Call FN for each line of /proc/self/maps (its range, permissions and
 * path), read in small pieces: any thread may call this, with no shared
 * buffer and no allocation. FN returns non-zero to stop; so does this,
 * with FN's value (-1 when the file cannot be read). With READWRITE, FN
 * may be given only the readable and writable mappings. */
static int
maps_each(maps_fn fn, void *arg, int readwrite)
{
	char buf[4096];
	size_t have = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -1;
	if (readwrite && (r = maps_query(fd, fn, arg)) != -2) {
		close(fd);
		return r;
	}
	r = 0;
	while (r == 0) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		char *line = buf, *nl;
		while (r == 0 && (nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			unsigned long lo, hi;
			char perms[8] = "";
			int pos = 0;
			if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &lo, &hi, perms,
			    &pos) >= 3) {
				const char *path = pos ? line + pos : "";
				while (*path == ' ')
					path++;
				r = fn(lo, hi, perms, path, arg);
			}
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
	}
	close(fd);
	return r;
}

int
snapshot_shim_stack(pthread_attr_t *attr, size_t size)
{
	/* The thread's descriptor and TLS go at the top of a stack given
	 * this way: the whole mapping is the shim's. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	snapshot_exclude(p, size);
	return pthread_attr_setstack(attr, p, size) == 0 ? 0 : -1;
}

void
snapshot_exclude_my_stack(void)
{
	volatile char here;

	/* A place on it: a save leaves out the whole mapping holding it (the
	 * stack, and the thread's descriptor and TLS above it). Nothing is
	 * looked up now, at the thread's start. */
	add_range((uintptr_t)&here, (uintptr_t)&here + 1, 1);
}

void
snapshot_forget_my_stack(void)
{
	pthread_t me = pthread_self();
	for (int i = 0; i < EXCL_MAX; i++)
		if (atomic_load(&ex.used[i]) == 1 && ex.is_stack[i] &&
		    pthread_equal(ex.owner[i], me))
			atomic_store(&ex.used[i], 0);
}

void
snapshot_exclude_my_arena(const void *p)
{
	/* A thread arena's heaps are aligned to their maximum size (64 MiB
	 * on 64-bit glibc); the main arena is the brk heap. */
	uintptr_t heap_max = (uintptr_t)64 << 20;
	void *brk0 = sbrk(0);
	uintptr_t a = (uintptr_t)p;
	if (p == NULL || (a < (uintptr_t)brk0 && a > (uintptr_t)brk0 -
	    ((uintptr_t)1 << 32)))
		return;   /* in the main heap (or unknown): nothing to do */
	add_range(a & ~(heap_max - 1), (a & ~(heap_max - 1)) + heap_max, 0);
}

struct list_arg {
	int n;                      /* regions in out[]; -1: too many */
	int max;
	struct mrange *out;
	struct mrange stack;
};

/* Whether R overlaps memory the shim owns now. */
static int
shim_owned(struct mrange r)
{
	for (int i = 0; i < EXCL_MAX; i++) {
		if (atomic_load(&ex.used[i]) != 1)
			continue;
		struct mrange x = ex.r[i];
		if (x.lo < r.hi && r.lo < x.hi)
			return 1;
	}
	return 0;
}

/* Add [LO, HI) to the list, less the excluded ranges. */
static void
add_region(struct list_arg *l, uintptr_t lo, uintptr_t hi)
{
	while (lo < hi && l->n >= 0) {
		uintptr_t end = hi, skip = 0;
		for (int i = 0; i < EXCL_MAX && !skip; i++) {
			if (atomic_load(&ex.used[i]) != 1 || ex.is_stack[i])
				continue;
			struct mrange x = ex.r[i];
			if (x.hi <= lo || x.lo >= end)
				continue;
			if (x.lo <= lo)
				skip = x.hi;
			else
				end = x.lo;
		}
		if (skip) {
			lo = skip;
			continue;
		}
		if (l->n == l->max) {
			l->n = -1;
			return;
		}
		l->out[l->n].lo = lo;
		l->out[l->n].hi = end;
		l->n++;
		lo = end;
	}
}

/* Private writable mappings, but not the kernel's ([vvar], ...) and not
 * the main stack (the frame thread's image stands for it). */
static int
list_one(uintptr_t lo, uintptr_t hi, const char *perms, const char *path,
    void *arg)
{
	struct list_arg *l = arg;
	if (strcmp(path, "[stack]") == 0) {
		l->stack.lo = lo;
		l->stack.hi = hi;
		return 0;
	}
	if (perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p' ||
	    (path[0] == '[' && strcmp(path, "[heap]") != 0))
		return 0;
	/* A thread's stack that is not the game's main one: left alone. */
	for (int i = 0; i < EXCL_MAX; i++)
		if (atomic_load(&ex.used[i]) == 1 && ex.is_stack[i] &&
		    ex.r[i].lo >= lo && ex.r[i].lo < hi)
			return 0;
	add_region(l, lo, hi);
	return 0;
}

int
snapshot_regions(struct mrange *out, int max, struct mrange *stack, char *err,
    size_t errlen)
{
	struct list_arg l = { 0, max, out, { 0, 0 } };

	if (maps_each(list_one, &l, 1) < 0) {
		snprintf(err, errlen, "/proc/self/maps: %s", strerror(errno));
		return -1;
	}
	if (l.n < 0) {
		snprintf(err, errlen, "more than %d memory regions", max);
		return -1;
	}
	if (l.stack.hi == 0) {
		snprintf(err, errlen, "no [stack] in /proc/self/maps");
		return -1;
	}
	*stack = l.stack;
	return l.n;
}

/* List the regions a snapshot covers into scan[]: as write tracking's
 * sync just read them (MARK its result, non-zero), or from the maps. */
static int
list_regions(uint32_t mark, struct mrange *stack, char *err, size_t errlen)
{
	const struct mrange *r;
	int n = mark != 0 ? wtrack_last_regions(&r, stack) : -1;
	if (n >= 0 && n <= REGION_MAX) {
		memcpy(scan, r, sizeof *r * (size_t)n);
		return n;
	}
	return snapshot_regions(scan, REGION_MAX, stack, err, errlen);
}

static struct snap *
find(const char *name)
{
	for (int i = 0; i < SNAPSHOT_MAX; i++)
		if (snaps[i].img.mem != NULL && strcmp(snaps[i].name, name) == 0)
			return &snaps[i];
	return NULL;
}

static void
drop(struct snap *s)
{
	simg_free(&s->img);
	xalloc_dropped(s->xid);
	memset(s, 0, sizeof *s);
}

/* Drop S, keeping its image as the spare when it is a child (a root
 * goes, so that dropping one gives its memory back). */
static void
drop_keep(struct snap *s)
{
	if (s->img.mem != NULL && !s->img.owner && s->mark != 0) {
		simg_free(&spare.img);
		spare.img = s->img;
		spare.mark = s->mark;
		spare.nregions = s->nregions;
		memcpy(spare.region, s->region, sizeof *s->region *
		    (size_t)s->nregions);
		s->img.mem = NULL;
	}
	simg_free(&s->img);
	xalloc_dropped(s->xid);
	memset(s, 0, sizeof *s);
}

/* Where a load comes back: the registers here, and the stack from just
 * below this frame up. Returns 0 after saving, 1 after a load. */
static int __attribute__((noinline))
save_point(struct snap *s, struct mrange stack)
{
	volatile char here;
	s->stack.lo = ((uintptr_t)&here - 1024) & ~(uintptr_t)15;
	s->stack.hi = stack.hi;
	if (_setjmp(s->ctx) != 0)
		return 1;
	memcpy(s->stack_img, (void *)s->stack.lo, s->stack.hi - s->stack.lo);
	return 0;
}

int
snapshot_save(const char *name, int64_t frame, char *err, size_t errlen)
{
	struct mrange stack;

	if (strlen(name) == 0 || strlen(name) >= NAME_MAX_LEN ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.@") != strlen(name)) {
		snprintf(err, errlen, "a snapshot's name is 1 to %d letters, "
		    "digits, '_', '-', '.' or '@'", NAME_MAX_LEN - 1);
		return -1;
	}
	int busy = park_settle();
	if (busy > 0) {
		snprintf(err, errlen, "%d of the game's threads are running, not "
		    "asleep: a snapshot needs them all asleep at the boundary "
		    "(on the clock, or waiting on a condition variable or a "
		    "semaphore)", busy);
		return -1;
	}
	/* Write tracking runs from the first save on: later saves over a
	 * name and loads copy only what was written since. */
	if (!tracking_held) {
		wtrack_hold(1);
		tracking_held = 1;
	}
	uint32_t mark = wtrack_sync(0);
	int nr = list_regions(mark, &stack, err, errlen);
	if (nr < 0)
		return -1;
	/* The frame thread's stack from about here up (save_point takes it
	 * from just below its own frame). */
	volatile char here;
	uintptr_t sp = ((uintptr_t)&here - 8192) & ~(uintptr_t)15;
	if (sp < stack.lo || sp >= stack.hi) {
		snprintf(err, errlen, "only the game's main thread can be saved "
		    "(its frames run on another thread)");
		return -1;
	}
	size_t total = stack.hi - sp;
	for (int i = 0; i < nr; i++)
		total += scan[i].hi - scan[i].lo;
	if (total > SNAPSHOT_LIMIT) {
		snprintf(err, errlen, "the game's writable memory is %zu MiB; "
		    "snapshots stop at %llu MiB (address space reserved by a "
		    "runtime, say)", total >> 20,
		    (unsigned long long)(SNAPSHOT_LIMIT >> 20));
		return -1;
	}
	struct snap *s = find(name), *slot = s;
	for (int i = 0; i < SNAPSHOT_MAX && slot == NULL; i++)
		if (snaps[i].img.mem == NULL)
			slot = &snaps[i];
	if (slot == NULL) {
		snprintf(err, errlen, "%d snapshots are kept already; save over "
		    "one of them, or drop one", SNAPSHOT_MAX);
		return -1;
	}
	memset(&tmp, 0, sizeof tmp);
	tmp.img.root = -1;
	size_t need = (total + 4095) & ~(size_t)4095;
	size_t rbytes = total - (stack.hi - sp);
	int same = s != NULL && s->nregions == nr;
	for (int i = 0; i < nr && same; i++)
		same = s->region[i].lo == scan[i].lo && s->region[i].hi == scan[i].hi;
	/* Over a name whose regions are still the same, in its own image
	 * (already faulted in): only the pages written since it was saved.
	 * Without tracking, over any name whose image is big enough: all. */
	int reuse = s != NULL && s->img.size >= need && simg_writable(&s->img) &&
	    (mark == 0 || same);
	uint32_t since = reuse && mark != 0 ? s->mark : 0;
	/* Else the spare, when its regions are these. */
	int inplace = reuse || (mark != 0 && spare.img.mem != NULL &&
	    spare.img.size >= need && spare.nregions == nr &&
	    simg_writable(&spare.img) && memcmp(spare.region, scan,
	    sizeof *scan * (size_t)nr) == 0);
	size_t cost = 0;
	int root = inplace || mark == 0 ? -1 : simg_best_root(scan, nr, &cost);
	if (reuse) {
		tmp.img = s->img;
	} else if (inplace) {
		tmp.img = spare.img;
		since = spare.mark;
		spare.img.mem = NULL;
	} else if (root >= 0 && cost <= rbytes / 2 && simg_new_child(&tmp.img,
	    need, root, scan, nr, err, errlen) == 0) {
		/* A new name (or one whose image others stand on): on an
		 * earlier snapshot's image, copying what was written since. */
	} else if (simg_new_root(&tmp.img, need, scan, nr, mark, err,
	    errlen) != 0) {
		return -1;
	}
	snprintf(tmp.name, sizeof tmp.name, "%s", name);
	tmp.frame = frame;
	tmp.nregions = nr;
	tmp.bytes = total;
	tmp.mark = mark;
	size_t off = rbytes, copied = stack.hi - sp;
	/* What the X libraries allocate from here on is not in it. */
	uint32_t xid = xalloc_save_begin();
	park_save(&tmp.parks);
	memcpy(tmp.region, scan, sizeof *scan * (size_t)nr);
	if (inplace) {
		off = 0;
		for (int i = 0; i < nr; i++) {
			copied += simg_copy(scan[i].lo, scan[i].hi, tmp.img.mem + off,
			    since, 0);
			off += scan[i].hi - scan[i].lo;
		}
		simg_saved_in_place(&tmp.img, scan, nr, mark);
	} else {
		copied += simg_fill(&tmp.img, scan, nr);
	}
	last_copied = copied;
	if (!park_unchanged(&tmp.parks)) {
		/* A parked thread woke while its memory was copied. */
		xalloc_dropped(xid);
		if (reuse)
			drop(s);
		else
			drop(&tmp);   /* a spare taken goes too */
		snprintf(err, errlen, "a thread of the game woke during the "
		    "save: not saved%s (try again)", reuse ?
		    ", and the older snapshot of that name is gone" : "");
		return -1;
	}
	vclock_save(&tmp.clock);
	vtimer_save(&tmp.timers);
	tmp.stack_img = tmp.img.mem + off;
	if (s != NULL && !reuse)
		drop_keep(s);
	else if (s != NULL)
		xalloc_dropped(s->xid);   /* saved over */
	s = slot;
	tmp.xid = xid;
	*s = tmp;
	/* The stack last, as close to the save point as can be. */
	return save_point(s, stack);
}

/* Write the snapshot back and jump into its save point, from deep enough
 * down the stack that the image does not cover this frame. */
static void __attribute__((noinline, noreturn))
restore(struct snap *s, int depth)
{
	volatile char pad[4096];
	pad[0] = (char)depth;
	if ((uintptr_t)pad + sizeof pad > s->stack.lo - 8192 || depth < 1)
		restore(s, depth + 1);
	size_t off = 0, copied = s->stack.hi - s->stack.lo;
	/* The objects the parked threads wait on stay as they are now. */
	park_keep_take();
	for (int i = 0; i < s->nregions; i++) {
		size_t n = s->region[i].hi - s->region[i].lo;
		if (!s->skip[i])
			copied += simg_copy(s->region[i].lo, s->region[i].hi,
			    s->img.mem + off, s->load_mark ? s->mark : 0, 1);
		off += n;
	}
	park_keep_put();
	xalloc_loaded(s->xid);
	last_copied = copied;
	vclock_restore(&s->clock);
	vtimer_restore(&s->timers);
	memcpy((void *)s->stack.lo, s->stack_img, s->stack.hi - s->stack.lo);
	_longjmp(s->ctx, 1);
}

int
snapshot_load(const char *name, char *err, size_t errlen)
{
	struct snap *s = find(name);
	struct mrange stack;

	if (s == NULL) {
		if (strcmp(name, SNAPSHOT_START) == 0)
			snprintf(err, errlen, "no start snapshot: the first frame "
			    "boundary was not saved (lockstep saves it; or "
			    "`save %s` at a boundary)", SNAPSHOT_START);
		else
			snprintf(err, errlen, "no snapshot '%s'", name);
		return -1;
	}
	int busy = park_settle();
	if (busy > 0) {
		snprintf(err, errlen, "%d of the game's threads are running, not "
		    "asleep", busy);
		return -1;
	}
	int slot = vclock_same_sleepers(&s->clock);
	if (slot >= 0) {
		snprintf(err, errlen, "the game's threads are not those of the "
		    "snapshot (one was created, ended, or is awake since): load "
		    "refused");
		return -1;
	}
	if (park_check(&s->parks, err, errlen) < 0)
		return -1;
	/* Only the pages written since the save go back (when tracking
	 * knows them). */
	s->load_mark = wtrack_sync(0);
	int nr = list_regions(s->load_mark, &stack, err, errlen);
	if (nr < 0)
		return -1;
	if (stack.lo > s->stack.lo || stack.hi != s->stack.hi) {
		snprintf(err, errlen, "the main thread's stack moved: load refused");
		return -1;
	}
	/* Every saved region must still be mapped and writable, unless it
	 * became the shim's since (a thread of its own that registered its
	 * memory just after the save): that one stays as it is. */
	for (int i = 0; i < s->nregions; i++) {
		s->skip[i] = shim_owned(s->region[i]);
		int ok = s->skip[i];
		for (int j = 0; j < nr && !ok; j++)
			ok = scan[j].lo <= s->region[i].lo &&
			    s->region[i].hi <= scan[j].hi;
		if (!ok) {
			snprintf(err, errlen, "memory at 0x%lx-0x%lx was unmapped "
			    "since the snapshot: load refused",
			    (unsigned long)s->region[i].lo,
			    (unsigned long)s->region[i].hi);
			return -1;
		}
	}
	if (vclock_busy_now() > 0) {
		snprintf(err, errlen, "a thread of the game woke as the load "
		    "began: load refused (try again)");
		return -1;
	}
	restore(s, 0);
}

int
snapshot_drop(const char *name, char *err, size_t errlen)
{
	struct snap *s = find(name);
	if (s == NULL) {
		snprintf(err, errlen, "no snapshot '%s'", name);
		return -1;
	}
	drop_keep(s);
	return 0;
}

size_t
snapshot_last_copied(void)
{
	return last_copied;
}

int64_t
snapshot_frame(const char *name, size_t *bytes)
{
	struct snap *s = find(name);
	if (s == NULL)
		return -1;
	if (bytes != NULL)
		*bytes = s->bytes;
	return s->frame;
}

void
snapshot_images(char *buf, size_t len)
{
	int roots, children;
	size_t root_bytes;
	simg_stats(&roots, &root_bytes, &children);
	snprintf(buf, len, "{\"roots\":%d,\"root_bytes\":%zu,\"children\":%d,"
	    "\"spare\":%s}", roots, root_bytes, children,
	    spare.img.mem != NULL ? "true" : "false");
}

void
snapshot_list(char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "[");
	int first = 1;
	for (int i = 0; i < SNAPSHOT_MAX && o < len; i++) {
		if (snaps[i].img.mem == NULL)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s{\"name\":\"%.31s\","
		    "\"frame\":%lld,\"bytes\":%zu}", first ? "" : ",",
		    snaps[i].name, (long long)snaps[i].frame, snaps[i].bytes);
		first = 0;
	}
	if (o < len)
		snprintf(buf + o, len - o, "]");
}
