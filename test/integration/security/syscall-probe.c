/*
 * syscall-probe: tries system calls that Docker's default seccomp profile refuses, each with
 * arguments that make the kernel itself answer something harmless and recognisable when no filter
 * is in the way (EFAULT for a bad pointer, EINVAL for bad flags, a keyring id, ...). So an EPERM
 * (or ENOSYS for clone3) can only come from the filter. Nothing is changed: no key is written, no
 * mount is made, a namespace made by a call that is let through dies with this process.
 * Prints one line per call: "<name> <errno name, or OK>". Built static at test time (the busybox
 * images cannot make arbitrary syscalls). Usage: syscall-probe [name...] (default: all).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD_POINTER ((void *)1)
#define AF_VSOCK_ 40
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_SESSION_KEYRING -3

static long clone_newuser(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

static long probe(const char *name)
{
	if (!strcmp(name, "keyctl"))
		return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
	if (!strcmp(name, "add_key"))
		return syscall(SYS_add_key, BAD_POINTER, "tocker-probe", "x", 1, KEY_SPEC_SESSION_KEYRING);
	if (!strcmp(name, "request_key"))
		return syscall(SYS_request_key, BAD_POINTER, "tocker-probe", NULL, 0);
	if (!strcmp(name, "unshare"))
		return syscall(SYS_unshare, CLONE_NEWUSER);
	if (!strcmp(name, "clone_newuser"))
		return clone_newuser();
	if (!strcmp(name, "mount"))
		return syscall(SYS_mount, BAD_POINTER, "/", "tmpfs", 0, NULL);
	if (!strcmp(name, "umount2"))
		return syscall(SYS_umount2, BAD_POINTER, 0);
	if (!strcmp(name, "perf_event_open"))
		return syscall(SYS_perf_event_open, BAD_POINTER, 0, -1, -1, 0);
	if (!strcmp(name, "userfaultfd"))
		return syscall(SYS_userfaultfd, ~0);
	if (!strcmp(name, "io_uring_setup"))
		return syscall(SYS_io_uring_setup, 0, BAD_POINTER);
	if (!strcmp(name, "clone3"))
		return syscall(SYS_clone3, BAD_POINTER, 64);
	if (!strcmp(name, "setns"))
		return syscall(SYS_setns, -1, 0);
	if (!strcmp(name, "socket_vsock")) {
		long fd = syscall(SYS_socket, AF_VSOCK_, SOCK_STREAM, 0);
		if (fd >= 0)
			close((int)fd);
		return fd < 0 ? -1 : 0;
	}
	if (!strcmp(name, "socket_inet")) {
		long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		if (fd >= 0)
			close((int)fd);
		return fd < 0 ? -1 : 0;
	}
	if (!strcmp(name, "personality_query"))
		return syscall(SYS_personality, 0xffffffff) < 0 ? -1 : 0;
	if (!strcmp(name, "personality_bsd"))
		return syscall(SYS_personality, 0x0006 /* PER_BSD */) < 0 ? -1 : 0;
	if (!strcmp(name, "getpid"))
		return syscall(SYS_getpid) < 0 ? -1 : 0;
	if (!strcmp(name, "mseal")) /* kernel 6.10: unknown to libseccomp 2.5, ENOSYS stub or allowed */
		return syscall(462, 0, 0, 0);
	errno = EINVAL;
	return -2;
}

int main(int argc, char **argv)
{
	static const char *all[] = { "keyctl", "add_key", "request_key", "unshare", "clone_newuser", "mount", "umount2",
				     "perf_event_open", "userfaultfd", "io_uring_setup", "clone3", "setns", "socket_vsock",
				     "socket_inet", "personality_query", "personality_bsd", "getpid", "mseal", NULL };
	const char **names = argc > 1 ? (const char **)argv + 1 : all;
	/* Each probe in a child of its own: one that succeeds (a new user namespace, another
	 * personality) must not change what the next one finds. */
	for (int i = 0; names[i]; i++) {
		fflush(stdout);
		pid_t child = fork();
		if (child < 0) {
			printf("%s FORK-FAILED %s\n", names[i], strerrorname_np(errno));
			continue;
		}
		if (child == 0) {
			errno = 0;
			long r = probe(names[i]);
			if (r == -2)
				printf("%s UNKNOWN-PROBE\n", names[i]);
			else
				printf("%s %s\n", names[i], r < 0 ? strerrorname_np(errno) : "OK");
			fflush(stdout);
			_exit(0);
		}
		waitpid(child, NULL, 0);
	}
	return 0;
}
