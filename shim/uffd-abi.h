/* The kernel interfaces page-level write tracking uses that Debian
 * bookworm's headers (Linux 6.1) lack: userfaultfd's asynchronous
 * write-protection (Linux 6.7), unpopulated-page markers (6.4), the
 * PAGEMAP_SCAN ioctl on /proc/self/pagemap (6.7), /dev/userfaultfd
 * (6.1) and the PROCMAP_QUERY ioctl on /proc/self/maps (6.11). Values as in the kernel's include/uapi/linux/userfaultfd.h and
 * include/uapi/linux/fs.h; a kernel without them answers EINVAL or ENOTTY,
 * which wtrack.c turns into a clear reason and the full compare. */
#ifndef GH_UFFD_ABI_H
#define GH_UFFD_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/userfaultfd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

/* PAGEMAP_SCAN: the page categories, a result range, the argument. */
#define GH_PAGE_IS_WPALLOWED (1 << 0)
#define GH_PAGE_IS_WRITTEN (1 << 1)
#define GH_PAGE_IS_FILE (1 << 2)
#define GH_PAGE_IS_PRESENT (1 << 3)
#define GH_PAGE_IS_SWAPPED (1 << 4)
#define GH_PAGE_IS_PFNZERO (1 << 5)
#define GH_PAGE_IS_HUGE (1 << 6)
#define GH_PAGE_IS_SOFT_DIRTY (1 << 7)

struct gh_page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

/* Write-protect the pages that match; fail with EPERM where a mapping in
 * the range is not registered for asynchronous write-protection. */
#define GH_PM_SCAN_WP_MATCHING (1 << 0)
#define GH_PM_SCAN_CHECK_WPASYNC (1 << 1)

struct gh_pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define GH_PAGEMAP_SCAN _IOWR('f', 16, struct gh_pm_scan_arg)

/* PROCMAP_QUERY on /proc/self/maps (Linux 6.11): one mapping at a time,
 * no text formatted (snapshot.c lists the writable ones with it). */
#define GH_PROCMAP_READABLE 0x01
#define GH_PROCMAP_WRITABLE 0x02
#define GH_PROCMAP_SHARED 0x08
#define GH_PROCMAP_COVERING_OR_NEXT 0x10

struct gh_procmap_query {
	__u64 size;
	__u64 query_flags;
	__u64 query_addr;
	__u64 vma_start;
	__u64 vma_end;
	__u64 vma_flags;
	__u64 vma_page_size;
	__u64 vma_offset;
	__u64 inode;
	__u32 dev_major;
	__u32 dev_minor;
	__u32 vma_name_size;
	__u32 build_id_size;
	__u64 vma_name_addr;
	__u64 build_id_addr;
};

#define GH_PROCMAP_QUERY _IOWR('f', 17, struct gh_procmap_query)

/* Bit 55 of a /proc/PID/pagemap entry: the page is soft-dirty. */
#define GH_PM_SOFT_DIRTY ((__u64)1 << 55)

#endif
