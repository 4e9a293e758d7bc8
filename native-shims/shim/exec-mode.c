/*
 * exec-mode.c: `shim exec`: another process in a running container's namespaces (see main.c).
 */
#define _GNU_SOURCE
#include "modes.h"
#include "errno-text.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The exec'd process's status, as our own exit status (128+n for a signal, as a shell says it). */
static pid_t exec_child;
static void forward_signal(int sig)
{
	if (exec_child > 0)
		kill(exec_child, sig);
}

/*
 * The exec'd process joins the container's cgroup namespace itself, right after its birth. A
 * cgroup namespace is a view whose root is the container's cgroup, and where cgroup2 is mounted
 * nsdelegate (systemd's default) the kernel lets a process in it move or fork a process only
 * between cgroups below that root: clone3(CLONE_INTO_CGROUP) by a shim inside the container's
 * cgroup namespace (the runtime used to join it before spawning us) is refused with ENOENT, our
 * own cgroup, the source, being outside it (seen in the VM tier, kernel 6.1). So: born where it
 * belongs first, then the view. (When clone3 fell back to fork, it joins before the runtime's
 * move, as the shim's whole exec did before.) Exits on failure: the runtime hears the error
 * before the process is ready.
 */
static void join_cgroupns(int ctl, int fd, int born_in)
{
	char why[128];
	uint64_t t0 = trace_clock();
	if (setns(fd, CLONE_NEWCGROUP) < 0) {
		trace_step(t0, "setns", errno, NULL, "the container's cgroup namespace, CLONE_NEWCGROUP");
		send_error(ctl, errno, 1, "join cgroup namespace: %s", go_strerror(errno, why, sizeof why));
		_exit(1);
	}
	close(fd);
	trace_step(t0, "setns", 0, NULL, "the container's cgroup namespace, CLONE_NEWCGROUP%s", born_in ? " (once born in its cgroup: that cgroup is its root)" : "");
}

/*
 * exec: join the container's mount namespace, then its PID namespace, and only then fork the
 * process (gate_exec in the child). Why this order and the fork: a process in the container's PID
 * namespace is visible in the container's /proc, and /proc/<pid>/root, /cwd, /exe and /fd of it
 * lead wherever that process is. Had we been started in the PID namespace (Node joining it before
 * spawning us, as it once did), we would sit there with the host's root and cwd until the
 * setns(mnt) below: a container allowed to ptrace (CAP_SYS_PTRACE) could open /proc/<us>/root and
 * walk the host's filesystem. The child is born in the container's PID namespace already inside
 * its mount namespace, with the container's root and cwd (runc's nsexec joins in the same order).
 * We stay outside, its parent: we tell the runtime its PID, forward signals and exit with its
 * status.
 */
int exec_mode(int ctl, struct options *o)
{
	char why[128];
	/* The host's /dev/null, opened before we enter the container (its /dev is the container's). */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		die("open /dev/null: %s", errno_text(errno));
	/* With --status-dir-fd: the process's exit status goes to <dir>/<name>.json when it ends, for
	 * a runtime that was not there to see it (an engine restarted meanwhile). Its space is taken
	 * now (exit.c); the fd stays ours, the process never gets it (hygiene.c). */
	int reserved = -1;
	if (o->status_dir_fd >= 0) {
		fcntl(o->status_dir_fd, F_SETFD, FD_CLOEXEC);
		reserved = o->status_name ? exit_reserve(o->status_dir_fd, o->status_name) : (errno = EINVAL, -1);
		if (reserved < 0) {
			send_error(ctl, errno, 1, "reserve space for the exec's exit status: %s", go_strerror(errno, why, sizeof why));
			return 1;
		}
	}
	if (o->console_socket && connect_console(ctl, o->console_socket) < 0)
		return 1;
	/* --console-fd: never the program's, even should the terminal not be set up (console.c closes it). */
	if (shim_fds.console >= 0)
		fcntl(shim_fds.console, F_SETFD, FD_CLOEXEC);
	if (o->timens && enter_timens(ctl, o->timens, o->timens_offsets) < 0)
		return 1;
	/* Join the container's mount namespace here rather than in Node: Node's child would have to
	 * find this program by a path inside the container's root, which the container controls. */
	trace_to(ctl, 0);
	trace_actor("exec shim");
	uint64_t t0 = trace_clock();
	if (o->mntns_fd >= 0) {
		if (setns(o->mntns_fd, CLONE_NEWNS) < 0) {
			trace_step(t0, "setns", errno, NULL, "the container's mount namespace, CLONE_NEWNS");
			send_error(ctl, errno, 1, "join mount namespace: %s", go_strerror(errno, why, sizeof why));
			return 1;
		}
		close(o->mntns_fd);
		if (chdir("/") < 0)
			return 1;
		trace_step(t0, "setns", 0, NULL, "the container's mount namespace, CLONE_NEWNS (its / is now the container's root)");
	}
	/* A container with no mount namespace of its own shares the caller's: its root is a chroot of
	 * PID 1's (gate.c, do_chroot), which joining the namespace does not give; take PID 1's root. */
	if (o->root_fd >= 0) {
		t0 = trace_clock();
		if (fchdir(o->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
			trace_step(t0, "chroot", errno, NULL, "PID 1's root");
			send_error(ctl, errno, 1, "chroot into the container's root: %s", go_strerror(errno, why, sizeof why));
			return 1;
		}
		close(o->root_fd);
		trace_step(t0, "chroot", 0, NULL, "PID 1's root (no mount namespace of its own: chroot, as PID 1 was)");
	}
	t0 = trace_clock();
	if (o->pidns_fd >= 0) {
		if (setns(o->pidns_fd, CLONE_NEWPID) < 0) {
			trace_step(t0, "setns", errno, NULL, "the container's PID namespace, CLONE_NEWPID");
			send_error(ctl, errno, 1, "join pid namespace: %s", go_strerror(errno, why, sizeof why));
			return 1;
		}
		close(o->pidns_fd);
		trace_step(t0, "setns", 0, NULL, "the container's PID namespace, CLONE_NEWPID (for the process we fork next)");
	}
	/* --cgroup-fd: the process is born in the container's cgroup (cgroup-fork.c), as PID 1 was,
	 * where the kernel can: no cgroup.procs write, which waits for an RCU grace period (8-12 ms). */
	int born_in = 0, fallback = 0;
	t0 = trace_clock();
	pid_t pid = fork_into_cgroup(o->cgroup_fd, &born_in, &fallback);
	if (pid < 0) {
		const char *op = o->cgroup_fd >= 0 && !fallback ? "clone3" : "fork";
		trace_step(t0, op, errno, NULL, "the exec'd process%s", op[0] == 'c' ? ", CLONE_INTO_CGROUP" : "");
		send_error(ctl, errno, 1, "%s: %s", op, go_strerror(errno, why, sizeof why));
		return 1;
	}
	if (pid == 0) {
		trace_actor("process");
		if (o->cgroup_fd >= 0)
			close(o->cgroup_fd); /* a host directory: never the process's */
		if (o->cgroupns_fd >= 0)
			join_cgroupns(ctl, o->cgroupns_fd, born_in);
		/* Killing us (the runtime gives up) takes the process with it; detached, we exit at once
		 * and it lives on under the caller's subreaper. */
		if (!o->detach)
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		int keep[] = { ctl, shim_fds.console, shim_fds.userns };
		fds_keep(keep, 3);
		fds_keep_range(shim_fds.preserve_base, shim_fds.preserve_n);
		/* exec -t: stdin is the slave of a pty the engine holds. A session of our own whose
		 * controlling terminal it is, so ^C and job control work in the shell. */
		if (isatty(0) && setsid() >= 0)
			ioctl(0, TIOCSCTTY, 0);
		gate_exec(ctl);
	}
	exec_child = pid;
	if (o->cgroup_fd >= 0)
		close(o->cgroup_fd);
	if (o->cgroupns_fd >= 0)
		close(o->cgroupns_fd);
	if (fallback)
		trace_step(0, "clone3", fallback, NULL, "CLONE_INTO_CGROUP: this kernel cannot; fork() instead, the runtime moves the exec'd process (cgroup.procs)");
	{
		char res[64];
		snprintf(res, sizeof res, "pid %d on the host", pid);
		if (born_in)
			trace_step(t0, "clone3", 0, res, "CLONE_INTO_CGROUP: the exec'd process, born in the container's cgroup, inside its mount and PID namespaces");
		else
			trace_step(t0, "fork", 0, res, "the exec'd process, born inside the container's mount and PID namespaces");
	}
	char how[32];
	step_aside(ctl, pid, devnull, cgroup_how(born_in, fallback, how, sizeof how));
	if (o->detach)
		return 0;
	struct sigaction sa = { .sa_handler = forward_signal };
	sigemptyset(&sa.sa_mask);
	static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH };
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, NULL);
	int code, sig;
	if (wait_exit(pid, &code, &sig) < 0)
		return 1;
	if (o->status_dir_fd >= 0)
		write_exit_status(o->status_dir_fd, o->status_name, reserved, -1, code, sig);
	return code;
}
