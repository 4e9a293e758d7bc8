/*
 * gate.c: the container's first process until it becomes the user's program.
 *
 * Why a "gate" instead of starting the program right away: the runtime must still do things to
 * the container after its PID 1 exists and before the program runs: put it in its cgroup, mount
 * /proc for its PID namespace, pivot_root, and (with `create` then `start`) wait for another
 * command. So PID 1 starts as this small loop that waits at a gate and only execve's the
 * program when it is released.
 *
 * Why /proc is mounted from in here: a procfs shows the PID namespace of the process that
 * mounts it. Node's thread is still in the host's PID namespace (unshare(CLONE_NEWPID) only
 * affects children), so if Node mounted /proc the container would see every host process.
 * (Linux 6.18 added a `pidns=` mount option that names the namespace; older kernels need this.)
 * The cgroup namespace is unshared in here for the same kind of reason: a cgroup namespace's
 * root is the cgroup its creator is in at that moment, so it must be made after the runtime moved
 * this process into the container's cgroup, and cgroup2 must be mounted from inside it.
 */
#define _GNU_SOURCE
#include "logs.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static char msgbuf[MAX_MSG];

static void do_cgroupns(int ctl, const char *path, size_t len)
{
	char why[128];
	uint64_t t0 = trace_clock();
	if (len == 0) {
		if (unshare(CLONE_NEWCGROUP) < 0) {
			trace_step(t0, "unshare", errno, NULL, "CLONE_NEWCGROUP");
			send_error(ctl, errno, 1, "unshare cgroup namespace: %s", go_strerror(errno, why, sizeof why));
			return;
		}
		trace_step(t0, "unshare", 0, NULL, "CLONE_NEWCGROUP (its root is the cgroup PID 1 is in now: the container's own)");
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWCGROUP) < 0) {
			trace_step(t0, "setns", errno, NULL, "%s, CLONE_NEWCGROUP", path);
			send_error(ctl, errno, 1, "join cgroup namespace %s: %s", path, go_strerror(errno, why, sizeof why));
			if (fd >= 0)
				close(fd);
			return;
		}
		close(fd);
		trace_step(t0, "setns", 0, NULL, "%s, CLONE_NEWCGROUP", path);
	}
	send_ok(ctl);
}

/* "source\0target\0fstype\0flags\0data" */
static void do_mount(int ctl, char *p, size_t len)
{
	char *field[5];
	char *end = p + len;
	for (int i = 0; i < 5; i++) {
		if (p >= end) {
			send_error(ctl, EINVAL, 1, "malformed mount request");
			return;
		}
		field[i] = p;
		p += strlen(p) + 1;
	}
	unsigned long flags = strtoul(field[3], NULL, 10);
	char why[128];
	uint64_t t0 = trace_clock();
	/* The target: one of the runtime's fds (/proc/<its pid>/fd/N), or, when we are in the
	 * container's user namespace and so may not look at the runtime's fds, the path the runtime
	 * resolved, opened here refusing symlinks (nothing of the container runs yet to swap one in). */
	char target[64];
	int tfd = -1;
	if (strncmp(field[1], "/proc/", 6)) {
		struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
		tfd = (int)syscall(SYS_openat2, AT_FDCWD, field[1], &how, sizeof how);
		if (tfd < 0) {
			send_error(ctl, errno, 1, "mount %s on %s: %s", field[2], field[1], go_strerror(errno, why, sizeof why));
			return;
		}
		snprintf(target, sizeof target, "/proc/self/fd/%d", tfd);
		field[1] = target;
	}
	/* The runtime describes the target; we say what we mounted and that it worked. */
	int r = mount(field[0], field[1], field[2], flags, field[4][0] ? field[4] : NULL);
	int saved = errno;
	if (tfd >= 0)
		close(tfd);
	errno = saved;
	if (r < 0) {
		trace_step(t0, "mount", errno, NULL, "%s", field[2]);
		send_error(ctl, errno, 1, "mount %s on %s: %s", field[2], field[1], go_strerror(errno, why, sizeof why));
		return;
	}
	trace_step(t0, "mount", 0, NULL, "%s", field[2]);
	send_ok(ctl);
}

/*
 * chroot instead of pivot_root, for a config with no mount namespace (runtime-tools'
 * linux_ns_itype): the container shares the caller's mount namespace, so pivot_root would swap
 * the caller's own root (every process in that namespace re-rooted into the container). chroot
 * changes the root of this process alone (and of what it execs); it is weaker (a process with
 * CAP_SYS_CHROOT can walk back out, and the host's mounts stay in the namespace), which is what a
 * config that asks to share the caller's mount namespace gets, with crun too. Nothing of the
 * container runs yet, so the path cannot be swapped under us.
 */
static void do_chroot(int ctl, const char *path)
{
	char why[128];
	uint64_t t0 = trace_clock();
	if (chdir(path) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		trace_step(t0, "chroot", errno, NULL, "\"%s\"", path);
		send_error(ctl, errno, 1, "chroot %s: %s", path, go_strerror(errno, why, sizeof why));
		return;
	}
	trace_step(t0, "chroot", 0, NULL, "\"%s\" (no mount namespace of its own: the caller's is shared, so no pivot_root)", path);
	send_ok(ctl);
}

/* createContainer hooks, now (see hooks.c): the payload is a hook list's fields. */
static void do_hooks(int ctl, char *p, size_t len)
{
	struct hook_list *l = hooks_new("createContainer");
	char *end = p + len;
	while (l && p < end) {
		char tag = *p++;
		char *val = p;
		p += strlen(val) + 1;
		if (hooks_field(l, tag, val) <= 0) {
			send_error(ctl, EINVAL, 1, "malformed hook request (field '%c')", tag);
			return;
		}
	}
	char msg[16384];
	if (!l || hooks_run(l, msg, sizeof msg) < 0) {
		send_error(ctl, EINVAL, 1, "%s", l ? msg : "out of memory");
		return;
	}
	send_ok(ctl);
}

/*
 * Whether the creator said D: its state.json is on disk, so whoever comes later (`start`, `delete`,
 * a restarted engine) can find us. Until then the creator's end of file means it died half-way,
 * and nobody knows this container exists: we exit (and the shim, reaping us, with us), even after
 * the spec was accepted. After D, end of file means `create` returned (runc semantics: a created
 * container outlives it) and only start.sock can release us.
 */
static int state_saved;

/* Serve the runtime until the process spec is accepted; returns it. Exits if the runtime goes. */
static struct process_spec *serve(int ctl)
{
	for (;;) {
		ssize_t n = recv_msg(ctl, msgbuf, sizeof msgbuf - 1);
		if (n <= 0)
			_exit(1); /* the runtime gave up on us (or died): nothing to run */
		msgbuf[n] = 0;
		char *payload = msgbuf + 1;
		size_t len = (size_t)n - 1;
		switch (msgbuf[0]) {
		case MSG_CGROUPNS:
			do_cgroupns(ctl, payload, len);
			break;
		case MSG_MOUNT:
			do_mount(ctl, payload, len);
			break;
		case MSG_HOOKS:
			do_hooks(ctl, payload, len);
			break;
		case MSG_CHROOT:
			do_chroot(ctl, payload);
			break;
		case MSG_SAVED: /* --step: the state is saved before the spec is sent; no answer */
			state_saved = 1;
			break;
		case MSG_SPEC: {
			char err[256];
			struct process_spec *spec = parse_process_spec(payload, len, err, sizeof err);
			if (!spec) {
				send_error(ctl, EINVAL, 1, "%s", err);
				_exit(1);
			}
			int err_no, code;
			char msg[1024];
			if (prepare_process(spec, &err_no, &code, msg, sizeof msg) < 0) {
				send_error(ctl, err_no, code, "%s", msg);
				_exit(code);
			}
			send_ok(ctl);
			return spec;
		}
		default:
			send_error(ctl, EINVAL, 1, "unexpected message '%c'", msgbuf[0]);
		}
	}
}

/* stream: reply_fd is a connection to the start socket (trace reports are framed there). */
static void __attribute__((noreturn)) release(int reply_fd, int stream, struct process_spec *spec)
{
	int err_no, code;
	char msg[16384];
	trace_to(reply_fd, stream);
	/* startContainer hooks: after `start`, before the program (runc runs them at this point too:
	 * as the container's user, under its seccomp filter). A failure stops the container. */
	if (process_start_hooks(spec, msg, sizeof msg) < 0) {
		send_error(reply_fd, EINVAL, 1, "%s", msg);
		_exit(1);
	}
	/* -t: the container's own pty becomes our stdio now (logs.c). */
	if (stdio_tty_handoff() < 0) {
		char why[128];
		send_error(reply_fd, errno, 1, "set up the terminal: %s", go_strerror(errno, why, sizeof why));
		_exit(1);
	}
	exec_process(spec, &reply_fd, &err_no, &code, msg, sizeof msg);
	send_error(reply_fd, err_no, code, "%s", msg);
	_exit(code);
}

void gate_create(int ctl, int lsock)
{
	prctl(PR_SET_NAME, "tocker-init", 0, 0, 0);
	/* Nothing of the shim's but what we need: its state and log dirs are host directories
	 * (hygiene.c). Again before chdir to the cwd, in prepare_process. */
	if (fds_close_others() < 0) {
		char why[128];
		send_error(ctl, errno, 1, "close inherited fds: %s", go_strerror(errno, why, sizeof why));
		_exit(1);
	}
	send_msg(ctl, MSG_READY, NULL, 0);
	struct process_spec *spec = serve(ctl);
	/* Wait for `start`: G on the control socket (the runtime that created us, in the same
	 * process: `run`), or G from a connection to the start socket (any other process). When the
	 * creator goes away (end of file on the control socket) after it saved the state (D), only
	 * the start socket is left; before that, nobody would ever know of us: exit. */
	struct pollfd fds[2] = { { .fd = lsock, .events = POLLIN }, { .fd = ctl, .events = POLLIN } };
	int nfds = 2;
	for (;;) {
		if (poll(fds, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		char go;
		if (nfds == 2 && fds[1].revents) {
			ssize_t n = recv_msg(ctl, &go, 1);
			if (n == 1 && go == MSG_GO)
				release(ctl, 0, spec);
			if (n == 1 && go == MSG_SAVED) {
				state_saved = 1;
				continue;
			}
			if (!state_saved)
				_exit(1); /* the creator died before its state.json existed: see state_saved */
			close(ctl); /* the creator is gone (or said something else): only `start` can release us now */
			trace_to(-1, 0);
			nfds = 1;
		}
		if (!fds[0].revents)
			continue;
		/* Anything that connects without saying G (a curious `state`) is ignored. */
		int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		if (recv_msg(conn, &go, 1) == 1 && go == MSG_GO)
			release(conn, 1, spec);
		close(conn);
	}
}

void gate_exec(int ctl)
{
	prctl(PR_SET_NAME, "tocker-exec", 0, 0, 0);
	send_msg(ctl, MSG_READY, NULL, 0);
	struct process_spec *spec = serve(ctl);
	char go;
	ssize_t n = recv_msg(ctl, &go, 1);
	if (n != 1 || go != MSG_GO)
		_exit(1);
	release(ctl, 0, spec);
}
