/*
 * cgroup-fork.c: fork the container's PID 1, or exec's process, straight into its cgroup (clone3
 * with CLONE_INTO_CGROUP, Linux >= 5.7), or fork() it where the kernel cannot, leaving the move to
 * the runtime (a write of its pid to cgroup.procs, src/cgroups/cgroup.ts).
 *
 * Why: moving a running process into another cgroup v2 cgroup (cgroup.procs) makes the kernel
 * wait for an RCU grace period (cgroup_attach_lock: percpu_down_write of cgroup_threadgroup_rwsem),
 * 8 to 12 ms per container start measured on a cgroup v2 host (test/bench/create-floor.mjs); a
 * child created in the cgroup costs nothing more than a fork. It is also what runc and crun do.
 *
 * clone3 without a stack behaves like fork(): the child returns 0 on a copy of our stack. glibc's
 * atfork handlers do not run, which is fine here: the shim has one thread and no locks held.
 */
#define _GNU_SOURCE
#include "errno-text.h"
#include "modes.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args as of Linux 5.7 (CLONE_ARGS_SIZE_VER2): the kernel takes any size it knows. */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

int open_cgroup_dir(const char *path)
{
	/* O_PATH: nothing is read; the fd only names the directory for clone3. */
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Errors after which we fall back to fork + the runtime's cgroup.procs write: ENOSYS, no clone3
 * (< 5.3, or a seccomp filter); E2BIG, a struct clone_args without the cgroup field (5.3-5.6);
 * EINVAL, a flag this kernel does not know; EOPNOTSUPP, a cgroup that takes no process this way
 * (not a valid domain: the write then fails the same way, and says so). Anything else is the real
 * answer: EBUSY, EACCES, EAGAIN of pids.max (the write would fail alike), and EBADF, a directory
 * that is not cgroup v2 (the kernel's answer for a cgroup v1 one): tocker never writes to cgroup
 * v1, so that must not fall back to a write there (the runtime passes cgroup v2 dirs alone).
 */
static int kernel_cannot(int err)
{
	return err == ENOSYS || err == E2BIG || err == EINVAL || err == EOPNOTSUPP;
}

pid_t fork_into_cgroup(int cgroup_fd, int *born_in, int *fallback_errno)
{
	*born_in = 0;
	*fallback_errno = 0;
	if (cgroup_fd < 0)
		return fork();
	struct clone_args_v2 args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroup_fd };
	long pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid >= 0) {
		*born_in = 1;
		return (pid_t)pid;
	}
	if (!kernel_cannot(errno))
		return -1;
	*fallback_errno = errno;
	return fork();
}

/* For the runtime (the P message): "born", the errno name of the refusal (it moves the process
 * then), or NULL when no cgroup was asked for. */
const char *cgroup_how(int born_in, int fallback_errno, char *buf, size_t len)
{
	if (born_in)
		return "born";
	if (!fallback_errno)
		return NULL;
	snprintf(buf, len, "%s", errno_name(fallback_errno) ? errno_name(fallback_errno) : "error");
	return buf;
}
