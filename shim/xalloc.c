/* The X libraries' arena (see xalloc.h).
 *
 * One address range is reserved at start-up (PROT_NONE, no memory) and
 * left out of snapshots before anything in it is handed out; it is made
 * readable and writable a megabyte at a time as it fills, and never
 * unmapped. Chunks carry a 32-byte header (their size, the save epoch
 * they were born in, the one they were freed in, a link): small ones come
 * in size classes from per-class free lists, larger ones are whole pages,
 * reused first-fit and given back to the system (MADV_DONTNEED) while
 * free. One mutex guards it: only the X libraries' allocations take it. */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "shim.h"
#include "snapshot.h"
#include "xalloc.h"

#define XA_RESERVE ((size_t)16 << 30)
#define XA_GROW ((size_t)1 << 20)
#define XA_HDR 32u
#define XA_SMALL_MAX 65536u
#define XA_PAGE 4096u
#define XA_RANGES 64
#define XA_SNAPS 64
#define XA_CACHE 1024

enum { CH_LIVE = 0x11ce, CH_FREE = 0xf4ee, CH_DEFERRED = 0xdefe };

struct chunk {
	uint64_t size;              /* bytes, header included */
	uint32_t born, freed;       /* save epochs */
	uint32_t state;
	uint32_t cls;               /* size class, or -1u: whole pages */
	struct chunk *next;         /* free or deferred list */
};

static const uint32_t class_size[] = {
	64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
	6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536,
};
#define NCLASS (sizeof class_size / sizeof class_size[0])

static struct {
	_Atomic int active;
	pthread_mutex_t mu;
	uintptr_t lo, hi;           /* the reserved range */
	uintptr_t top, committed;   /* bump pointer, end of RW part */
	struct chunk *free[NCLASS];
	struct chunk *large;        /* free whole-page chunks */
	struct chunk *deferred;
	uint32_t epoch;             /* saves begun so far */
	uint32_t snaps[XA_SNAPS];   /* ids of live snapshots (0: none) */
	size_t live, deferred_bytes;
	int said_full;
	/* The X libraries' code; the dynamic linker's. */
	struct { uintptr_t lo, len; } xr[XA_RANGES];
	_Atomic int nxr;
	uintptr_t ldso_lo, ldso_len;
	_Atomic int rescan;
	pthread_mutex_t scan_mu;
	_Atomic uint64_t cache[XA_CACHE];   /* a caller's address << 2 | kind */
} xa = { .mu = PTHREAD_MUTEX_INITIALIZER,
	.scan_mu = PTHREAD_MUTEX_INITIALIZER };

/* Whether NAME (a path) is one of the X client libraries. */
static int
x_library(const char *name)
{
	const char *b = strrchr(name, '/');
	b = b != NULL ? b + 1 : name;
	return strncmp(b, "libX", 4) == 0 || strncmp(b, "libxcb", 6) == 0;
}

static int
scan_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	const char *name = info->dlpi_name != NULL ? info->dlpi_name : "";
	int ldso = strstr(name, "/ld-linux") != NULL;
	if (!ldso && !x_library(name))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		uintptr_t len = ph->p_memsz;
		if (ldso) {
			xa.ldso_lo = lo;
			xa.ldso_len = len;
			continue;
		}
		int n = atomic_load(&xa.nxr), known = 0;
		for (int j = 0; j < n; j++)
			known |= xa.xr[j].lo == lo;
		if (known || n == XA_RANGES)
			continue;
		xa.xr[n].lo = lo;
		xa.xr[n].len = len;
		atomic_store_explicit(&xa.nxr, n + 1, memory_order_release);
	}
	return 0;
}

static void
rescan(void)
{
	if (pthread_mutex_trylock(&xa.scan_mu) != 0)
		return;
	dl_iterate_phdr(scan_one, NULL);
	pthread_mutex_unlock(&xa.scan_mu);
}

/* A fork child gets the arena consistent: nobody holds its lock then. */
static void
fork_prepare(void)
{
	pthread_mutex_lock(&xa.mu);
}

static void
fork_done(void)
{
	pthread_mutex_unlock(&xa.mu);
}

void
xalloc_init(void)
{
	const char *e = getenv("HOOK_XARENA");
	if (!XALLOC_HOOKS || (e != NULL && strcmp(e, "0") == 0))
		return;
	void *p = mmap(NULL, XA_RESERVE, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		hlog("xalloc: no address range for the X libraries' memory: it "
		    "is rewound with the game's (loads may break the X "
		    "connection)");
		return;
	}
	snapshot_exclude(p, XA_RESERVE);
	xa.lo = xa.top = xa.committed = (uintptr_t)p;
	xa.hi = (uintptr_t)p + XA_RESERVE;
	rescan();
	pthread_atfork(fork_prepare, fork_done, fork_done);
	atomic_store(&xa.active, 1);
}

/* What a caller's address is: none of ours, an X library, the dynamic
 * linker. */
enum { PC_OTHER, PC_X, PC_LDSO };

static int
classify(uintptr_t pc)
{
	int n = atomic_load_explicit(&xa.nxr, memory_order_acquire);
	for (int i = 0; i < n; i++)
		if (pc - xa.xr[i].lo < xa.xr[i].len)
			return PC_X;
	return pc - xa.ldso_lo < xa.ldso_len ? PC_LDSO : PC_OTHER;
}

int
xalloc_caller(const void *caller)
{
	if (!atomic_load_explicit(&xa.active, memory_order_relaxed))
		return 0;
	uintptr_t pc = (uintptr_t)caller;
	if (unlikely(atomic_load_explicit(&xa.rescan, memory_order_relaxed))) {
		/* The dynamic linker allocated: an object may have come. */
		atomic_store(&xa.rescan, 0);
		int n = atomic_load(&xa.nxr);
		rescan();
		if (atomic_load(&xa.nxr) != n)
			for (int i = 0; i < XA_CACHE; i++)
				atomic_store_explicit(&xa.cache[i], 0,
				    memory_order_relaxed);
	}
	/* Most calls come from a few sites: their kind is remembered. */
	_Atomic uint64_t *slot = &xa.cache[(pc ^ (pc >> 11)) & (XA_CACHE - 1)];
	uint64_t v = atomic_load_explicit(slot, memory_order_relaxed);
	int kind;
	if (v >> 2 == pc) {
		kind = (int)(v & 3);
	} else {
		kind = classify(pc);
		atomic_store_explicit(slot, (uint64_t)pc << 2 | (uint64_t)kind,
		    memory_order_relaxed);
	}
	if (kind == PC_LDSO)
		atomic_store_explicit(&xa.rescan, 1, memory_order_relaxed);
	return kind == PC_X;
}

int
xalloc_owns(const void *p)
{
	return (uintptr_t)p - xa.lo < xa.hi - xa.lo;
}

static struct chunk *
hdr_of(const void *p)
{
	return (struct chunk *)((uintptr_t)p - XA_HDR);
}

/* LEN bytes (a multiple of the page) from the bump pointer, made
 * writable as needed; NULL when the range is full. Under the lock. */
static void *
bump(size_t len)
{
	if (xa.hi - xa.top < len) {
		if (!xa.said_full) {
			xa.said_full = 1;
			hlog("xalloc: the X libraries' arena is full (%zu MiB)",
			    XA_RESERVE >> 20);
		}
		return NULL;
	}
	while (xa.committed < xa.top + len) {
		size_t g = XA_GROW;
		if (xa.hi - xa.committed < g)
			g = xa.hi - xa.committed;
		if (mprotect((void *)xa.committed, g, PROT_READ | PROT_WRITE) != 0)
			return NULL;
		xa.committed += g;
	}
	void *p = (void *)xa.top;
	xa.top += len;
	return p;
}

static int
class_of(size_t total)
{
	for (unsigned i = 0; i < NCLASS; i++)
		if (total <= class_size[i])
			return (int)i;
	return -1;
}

/* A chunk of at least N caller bytes, under the lock. */
static struct chunk *
take(size_t n)
{
	if (n > ((size_t)1 << 40))
		return NULL;
	size_t total = n + XA_HDR;
	int c = class_of(total);
	struct chunk *ch;
	if (c >= 0) {
		if (xa.free[c] == NULL) {
			/* A slab of this class: 64 KiB, or one chunk. */
			size_t sz = class_size[c];
			size_t slab = sz > 65536 ? sz : 65536;
			uint8_t *p = bump(slab);
			if (p == NULL)
				return NULL;
			for (size_t o = 0; o + sz <= slab; o += sz) {
				struct chunk *k = (struct chunk *)(p + o);
				k->size = sz;
				k->cls = (uint32_t)c;
				k->state = CH_FREE;
				k->next = xa.free[c];
				xa.free[c] = k;
			}
		}
		ch = xa.free[c];
		xa.free[c] = ch->next;
	} else {
		size_t len = (total + XA_PAGE - 1) & ~(size_t)(XA_PAGE - 1);
		struct chunk **pp = &xa.large;
		while (*pp != NULL && (*pp)->size < len)
			pp = &(*pp)->next;
		if (*pp != NULL) {
			ch = *pp;
			*pp = ch->next;
		} else {
			ch = bump(len);
			if (ch == NULL)
				return NULL;
			ch->size = len;
			ch->cls = UINT32_MAX;
		}
	}
	ch->state = CH_LIVE;
	ch->born = xa.epoch;
	ch->freed = 0;
	ch->next = NULL;
	xa.live += ch->size;
	return ch;
}

/* Back to its free list, under the lock. */
static void
give(struct chunk *ch)
{
	ch->state = CH_FREE;
	if (ch->cls == UINT32_MAX) {
		/* Its pages go back to the system; the header page stays. */
		if (ch->size > XA_PAGE)
			madvise((uint8_t *)ch + XA_PAGE, ch->size - XA_PAGE,
			    MADV_DONTNEED);
		ch->next = xa.large;
		xa.large = ch;
	} else {
		ch->next = xa.free[ch->cls];
		xa.free[ch->cls] = ch;
	}
}

/* Whether a live snapshot may hold a chunk born in epoch B and freed in
 * epoch F: one taken after its birth and not before its free. */
static int
held(uint32_t b, uint32_t f)
{
	for (int i = 0; i < XA_SNAPS; i++)
		if (xa.snaps[i] != 0 && b < xa.snaps[i] && xa.snaps[i] <= f)
			return 1;
	return 0;
}

void *
xalloc_malloc(size_t n)
{
	pthread_mutex_lock(&xa.mu);
	struct chunk *ch = take(n);
	pthread_mutex_unlock(&xa.mu);
	return ch != NULL ? (uint8_t *)ch + XA_HDR : NULL;
}

void *
xalloc_calloc(size_t n, size_t size)
{
	size_t t;
	if (__builtin_mul_overflow(n, size, &t))
		return NULL;
	void *p = xalloc_malloc(t);
	if (p != NULL)
		memset(p, 0, t);
	return p;
}

void
xalloc_free(void *p)
{
	if (p == NULL)
		return;
	struct chunk *ch = hdr_of(p);
	pthread_mutex_lock(&xa.mu);
	if (ch->state != CH_LIVE) {
		/* Freed again: a chunk a load did not give back (the game
		 * freed it before the snapshot, and again since). */
		pthread_mutex_unlock(&xa.mu);
		return;
	}
	xa.live -= ch->size;
	ch->freed = xa.epoch;
	if (held(ch->born, ch->freed)) {
		ch->state = CH_DEFERRED;
		ch->next = xa.deferred;
		xa.deferred = ch;
		xa.deferred_bytes += ch->size;
	} else {
		give(ch);
	}
	pthread_mutex_unlock(&xa.mu);
}

size_t
xalloc_usable(const void *p)
{
	return hdr_of(p)->size - XA_HDR;
}

void *
xalloc_realloc(void *p, size_t n)
{
	if (p == NULL)
		return xalloc_malloc(n);
	size_t have = xalloc_usable(p);
	if (n <= have && n >= have / 2 && n > 0)
		return p;
	void *q = xalloc_malloc(n);
	if (q == NULL)
		return NULL;
	memcpy(q, p, n < have ? n : have);
	xalloc_free(p);
	return q;
}

uint32_t
xalloc_save_begin(void)
{
	pthread_mutex_lock(&xa.mu);
	uint32_t id = ++xa.epoch;
	for (int i = 0; i < XA_SNAPS; i++)
		if (xa.snaps[i] == 0) {
			xa.snaps[i] = id;
			break;
		}
	pthread_mutex_unlock(&xa.mu);
	return id;
}

/* Walk the deferred list: chunks no live snapshot holds are reused;
 * with LOADED non-zero, those that snapshot held are the game's again. */
static void
sweep(uint32_t loaded)
{
	struct chunk **pp = &xa.deferred;
	while (*pp != NULL) {
		struct chunk *ch = *pp;
		int revive = loaded != 0 && ch->born < loaded && loaded <= ch->freed;
		if (!revive && held(ch->born, ch->freed)) {
			pp = &ch->next;
			continue;
		}
		*pp = ch->next;
		xa.deferred_bytes -= ch->size;
		if (revive) {
			ch->state = CH_LIVE;
			ch->next = NULL;
			xa.live += ch->size;
		} else {
			give(ch);
		}
	}
}

void
xalloc_dropped(uint32_t id)
{
	if (id == 0)
		return;
	pthread_mutex_lock(&xa.mu);
	for (int i = 0; i < XA_SNAPS; i++)
		if (xa.snaps[i] == id)
			xa.snaps[i] = 0;
	sweep(0);
	pthread_mutex_unlock(&xa.mu);
}

void
xalloc_loaded(uint32_t id)
{
	pthread_mutex_lock(&xa.mu);
	sweep(id);
	pthread_mutex_unlock(&xa.mu);
}

void
xalloc_stats(size_t *live, size_t *deferred, int *libs)
{
	pthread_mutex_lock(&xa.mu);
	*live = xa.live;
	*deferred = xa.deferred_bytes;
	pthread_mutex_unlock(&xa.mu);
	*libs = atomic_load(&xa.nxr);
}
