/*
 * hygiene.c: what the container's process must not take with it from the host.
 *
 * The escape this prevents (CVE-2024-21626 in runc): a process's working directory survives
 * execve, and so does anything reachable through /proc/self/fd/N while an fd is still open. The
 * shim holds host directories open (the container's state dir for exit.json, the log dir for the
 * json-file log and the FIFOs), and the gate is forked from the shim. If the gate still held such
 * an fd when it resolved the container's working directory, a WorkingDir of /proc/self/fd/5
 * (from an image's config, `run -w`, `exec -w`, a bundle's process.cwd, or a symlink in the image
 * pointing there) would chdir into the host's directory: O_CLOEXEC closes the fd at execve, but the
 * cwd stays, and `../../..` from there is the host's root.
 *
 * Two defences, each enough on its own:
 *   1. fds_close_others(): before the cwd is resolved, every fd but stdio and the ones this
 *      process still needs (its control socket, the start socket, the terminal handoff) is
 *      *closed*, not just marked close-on-exec: then /proc/self/fd/N names nothing on the host.
 *      The shim also closes, first thing, whatever its parent (Node, a shell) let it inherit.
 *   2. cwd_check(): after chdir, getcwd(2) must give an absolute path. The kernel builds that path
 *      by walking up to the process's root; when the walk reaches the top of a mount tree without
 *      passing the root (the directory is outside it, on a detached or another namespace's mount),
 *      it prefixes "(unreachable)" (Linux 2.6.36+), and a deleted directory gives ENOENT. This does
 *      not depend on which path led there (/proc/self/fd, /proc/<n>/cwd, /proc/thread-self/...,
 *      a symlink): it checks where the process ended up. runc 1.1.12 added the same check.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEPT 16 /* more than main.c ever asks to keep (10): one past it would be closed */

static int kept[MAX_KEPT];
static size_t nkept;
/* One contiguous range kept besides (runc's --preserve-fds / LISTEN_FDS: any number of fds). */
static int range_lo = -1, range_n;

void fds_keep_range(int lo, int n)
{
	range_lo = n > 0 ? lo : -1;
	range_n = n;
}

void fds_keep(const int *fds, size_t n)
{
	nkept = 0;
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 3 || nkept == MAX_KEPT)
			continue;
		/* insertion sort: a handful of fds */
		size_t j = nkept++;
		while (j > 0 && kept[j - 1] > fds[i]) {
			kept[j] = kept[j - 1];
			j--;
		}
		kept[j] = fds[i];
	}
}

/* Close [lo, hi]; close_range(2) is Linux 5.9+, older kernels get the loop. */
static int close_span(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return 0;
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	struct rlimit rl;
	unsigned max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < UINT_MAX ? (unsigned)rl.rlim_max : 1U << 20;
	for (unsigned fd = lo; fd <= hi && fd < max; fd++)
		close((int)fd);
	return 0;
}

/* Is fd kept by the range? */
static int in_range(unsigned fd)
{
	return range_lo >= 0 && fd >= (unsigned)range_lo && fd < (unsigned)(range_lo + range_n);
}

int fds_close_others(void)
{
	unsigned lo = 3;
	/* The singles and the range's ends, as one sorted walk: close what lies between them. */
	for (size_t i = 0; i <= nkept; i++) {
		unsigned next = i < nkept ? (unsigned)kept[i] : ~0U;
		if (range_lo >= 0 && (unsigned)range_lo >= lo && (unsigned)range_lo < next) {
			if (close_span(lo, (unsigned)range_lo - 1) < 0)
				return -1;
			lo = (unsigned)(range_lo + range_n);
		}
		if (i == nkept)
			break;
		if (next < lo || in_range(next))
			continue; /* a duplicate, or inside the range */
		if (close_span(lo, next - 1) < 0)
			return -1;
		lo = next + 1;
	}
	return close_span(lo, ~0U);
}

/*
 * Is the working directory below our root? Without getcwd: climb ".." from "." until the
 * directory is our root (yes) or is its own parent (the top of a tree that is not our root: no).
 * For a seccomp profile that refuses getcwd (the OCI validation suite's linux_seccomp does:
 * getcwd -> ERRNO); crun starts such a container, runc does not. 1 inside, 0 outside, -1 error.
 */
static int cwd_below_root(void)
{
	struct stat root, cur, up;
	if (stat("/", &root) < 0)
		return -1;
	int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (int depth = 0; fd >= 0 && depth < 4096; depth++) {
		if (fstat(fd, &cur) < 0)
			break;
		if (cur.st_dev == root.st_dev && cur.st_ino == root.st_ino) {
			close(fd);
			return 1;
		}
		int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || fstat(parent, &up) < 0) {
			if (parent >= 0)
				close(parent);
			break;
		}
		close(fd);
		fd = parent;
		if (up.st_dev == cur.st_dev && up.st_ino == cur.st_ino) {
			close(fd);
			return 0;
		}
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

int cwd_check(int *err_no, char *msg, size_t cap)
{
	char cwd[PATH_MAX + 1];
	/* The raw system call, which says "(unreachable)/..." as the kernel does; glibc's getcwd()
	 * turns that into ENOENT, other libcs may not. Both mean the same here. */
	long n = syscall(SYS_getcwd, cwd, sizeof cwd - 1);
	if (n < 0 && errno != ENOENT) {
		int saved = errno;
		int inside = cwd_below_root();
		if (inside == 1)
			return 0;
		if (inside == 0)
			errno = ENOENT;
		else
			errno = saved;
	}
	if (n < 0) {
		*err_no = errno;
		if (errno == ENOENT)
			snprintf(msg, cap, "current working directory is outside of container mount namespace root -- possible container breakout detected");
		else {
			char why[128];
			snprintf(msg, cap, "failed to verify if current working directory is safe: %s", go_strerror(errno, why, sizeof why));
		}
		return -1;
	}
	cwd[n < (long)sizeof cwd ? n : (long)sizeof cwd - 1] = 0;
	if (strncmp(cwd, "(unreachable)", 13) == 0) {
		*err_no = ENOENT;
		snprintf(msg, cap, "current working directory is outside of container mount namespace root -- possible container breakout detected");
		return -1;
	}
	if (cwd[0] != '/') {
		*err_no = EPERM;
		snprintf(msg, cap, "current working directory is not absolute -- possible container breakout detected: cwd is \"%s\"", cwd);
		return -1;
	}
	return 0;
}
