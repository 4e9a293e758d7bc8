/*
 * create.c: `shim create`: the container's PID 1 (the gate, gate.c) forked into its new PID
 * namespace (and user namespace), then the shim waits for it and records its exit (see main.c).
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

/*
 * The start socket, <state>/start.sock, on which `start` releases the gate. Bound here, before
 * the fork, while the host's paths are visible (before pivot_root), relative to the state dir
 * (sun_path holds 108 bytes): the gate inherits it listening, and never has a host directory as
 * its cwd or an fd on one (hygiene.c).
 */
static int bind_start_socket(int ctl, int dirfd, const char *state_dir)
{
	char why[128];
	int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	strcpy(addr.sun_path, "start.sock");
	if (lsock < 0 || fchdir(dirfd) < 0 || bind(lsock, (struct sockaddr *)&addr, sizeof addr) < 0 || chdir("/") < 0 ||
	    listen(lsock, 4) < 0) {
		send_error(ctl, errno, 1, "start socket in %s: %s", state_dir, go_strerror(errno, why, sizeof why));
		return -1;
	}
	return lsock;
}

/* The child that becomes PID 1: the gate (gate.c). */
static void __attribute__((noreturn)) become_gate(int ctl, struct options *o, int lsock)
{
	trace_actor("PID 1");
	if (o->stdio != STDIO_INHERIT)
		stdio_child(&o->io);
	/* The gate keeps its stdio, the control and start sockets, (-t) the terminal handoff
	 * socket, the console socket and preserved fds; the state dir, log dir, exit socket and
	 * pipes' other ends go. */
	int keep[] = { ctl, lsock, o->stdio == STDIO_TTY ? o->io.handoff[1] : -1, shim_fds.console, shim_fds.userns };
	fds_keep(keep, 5);
	fds_keep_range(shim_fds.preserve_base, shim_fds.preserve_n);
	gate_create(ctl, lsock);
	_exit(1);
}

/*
 * A user namespace (--userns-fd) and a new PID namespace: the PID namespace must belong to the
 * user namespace, as with runc and crun, or the container's root could not mount a /proc of its
 * own (nested containers) nor write ns_last_pid. A namespace belongs to the user namespace of the
 * process that creates it, and we must stay in the host's (the exit status and log files, and
 * set_gate_limits, need the host's powers). So a short-lived child ("mid") joins the user
 * namespace, unshares CLONE_NEWPID (and CLONE_NEWTIME for --timens new) and forks the gate, which
 * is thus born inside the user namespace; mid tells us the gate's pid and exits. We are a child
 * subreaper, so the orphaned gate becomes our child (before waitpid(mid) returns: the kernel
 * reparents a dying process's children before it notifies the parent). The cgroup namespace,
 * which the gate unshares later (gate.c), then belongs to the user namespace too. Returns the
 * gate's pid (0 in the gate itself), or -1 once the error has been sent.
 */
static pid_t fork_gate_in_userns(int ctl, struct options *o, int lsock)
{
	char why[128];
	int pp[2];
	uint64_t t0 = trace_clock();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || pipe2(pp, O_CLOEXEC) < 0) {
		send_error(ctl, errno, 1, "prepare the user namespace's PID 1: %s", go_strerror(errno, why, sizeof why));
		return -1;
	}
	pid_t mid = fork();
	if (mid < 0) {
		send_error(ctl, errno, 1, "fork: %s", go_strerror(errno, why, sizeof why));
		close(pp[0]);
		close(pp[1]);
		return -1;
	}
	if (mid == 0) {
		close(pp[0]);
		if (setns(shim_fds.userns, CLONE_NEWUSER) < 0) {
			trace_step(t0, "setns", errno, NULL, "CLONE_NEWUSER (the container's user namespace)");
			send_error(ctl, errno, 1, "join the user namespace: %s", go_strerror(errno, why, sizeof why));
			_exit(1);
		}
		trace_step(t0, "setns", 0, NULL, "CLONE_NEWUSER (the container's user namespace: what we make next belongs to it)");
		/* The gate is in the user namespace already: process.c must not join it again. */
		close(shim_fds.userns);
		shim_fds.userns = -1;
		if (o->timens && !strcmp(o->timens, "new") && enter_timens(ctl, o->timens, o->timens_offsets) < 0)
			_exit(1);
		t0 = trace_clock();
		if (unshare(CLONE_NEWPID) < 0) {
			trace_step(t0, "unshare", errno, NULL, "CLONE_NEWPID");
			send_error(ctl, errno, 1, "unshare pid namespace: %s", go_strerror(errno, why, sizeof why));
			_exit(1);
		}
		trace_step(t0, "unshare", 0, NULL, "CLONE_NEWPID (owned by the user namespace; the next fork makes its PID 1)");
		pid_t gate = fork();
		if (gate < 0) {
			send_error(ctl, errno, 1, "fork: %s", go_strerror(errno, why, sizeof why));
			_exit(1);
		}
		if (gate == 0) {
			close(pp[1]);
			return 0;
		}
		_exit(write(pp[1], &gate, sizeof gate) == sizeof gate ? 0 : 1);
	}
	close(pp[1]);
	pid_t gate = -1;
	ssize_t n = read(pp[0], &gate, sizeof gate);
	close(pp[0]);
	int status;
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	(void)lsock;
	if (n != sizeof gate || gate <= 0)
		return -1; /* mid said why on the control socket */
	return gate;
}

/*
 * Inside the user namespace the gate lacks the host's CAP_SYS_RESOURCE: it could not raise a hard
 * rlimit above ours nor lower oom_score_adj. We set them on it from outside (as runc's parent
 * does with prlimit); its own setrlimit/write of the same values later changes nothing.
 */
static int set_gate_limits(int ctl, struct options *o, pid_t gate)
{
	char why[128];
	for (const char *p = o->prlimits; p && *p;) {
		unsigned long long res, soft, hard;
		int used = 0;
		if (sscanf(p, "%llu:%llu:%llu%n", &res, &soft, &hard, &used) != 3) {
			send_error(ctl, EINVAL, 1, "bad --prlimits %s", o->prlimits);
			return -1;
		}
		struct rlimit lim = { .rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard };
		uint64_t t0 = trace_clock();
		if (prlimit(gate, (int)res, &lim, NULL) < 0) {
			trace_step(t0, "prlimit", errno, NULL, "PID 1, resource %llu", res);
			send_error(ctl, errno, 1, "setrlimit %llu: %s", res, go_strerror(errno, why, sizeof why));
			return -1;
		}
		trace_step(t0, "prlimit", 0, NULL, "PID 1, resource %llu, soft %llu, hard %llu (from outside the user namespace)", res, soft, hard);
		p += used;
		if (*p == ',')
			p++;
	}
	if (o->oom_score_adj) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/oom_score_adj", gate);
		if (write_file(path, o->oom_score_adj) < 0) {
			send_error(ctl, errno, 1, "set oom_score_adj: %s", go_strerror(errno, why, sizeof why));
			return -1;
		}
	}
	return 0;
}

int create_mode(int ctl, struct options *o)
{
	char why[128];
	if (!o->state_dir)
		die("create needs --state-dir");
	/* Daemonize: the runtime reaps this first process right away (see the top of this file). In
	 * runc's model we stay the runtime's child and exit once the gate exists. */
	if (!o->caller_parent) {
		pid_t first = fork();
		if (first < 0)
			die("fork: %s", errno_text(errno));
		if (first > 0)
			_exit(0);
	}
	if (o->exit_fd >= 0)
		fcntl(o->exit_fd, F_SETFD, FD_CLOEXEC); /* the gate and the container must not hold it */

	int dirfd = open(o->state_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (dirfd < 0 || devnull < 0)
		die("open %s: %s", o->state_dir, errno_text(errno));
	/* The exit status's space, taken now: the container may end on a full disk (exit.c). */
	int reserved = o->caller_parent ? -1 : exit_reserve(dirfd, "exit");
	if (reserved < 0 && !o->caller_parent) {
		send_error(ctl, errno, 1, "reserve space for the exit status in %s: %s", o->state_dir, go_strerror(errno, why, sizeof why));
		return 1;
	}
	if (o->stdio != STDIO_INHERIT) {
		if (!o->log_dir || !o->log.name)
			die("--stdio pipes|tty needs --log-dir and --log-name");
		o->io.tty = o->stdio == STDIO_TTY;
		if (stdio_prepare(&o->io, o->log_dir) < 0)
			die("log relay: %s", errno_text(errno));
	}

	if (o->console_socket && connect_console(ctl, o->console_socket) < 0)
		return 1;
	/* With a user namespace and a new PID namespace, the gate is forked from inside the user
	 * namespace (fork_gate_in_userns); a time namespace given by path is joined here first. */
	int in_userns = shim_fds.userns >= 0 && !o->pidns;
	if (o->timens && (!in_userns || strcmp(o->timens, "new")) && enter_timens(ctl, o->timens, o->timens_offsets) < 0)
		return 1;

	trace_to(ctl, 0);
	uint64_t t0 = trace_clock();
	if (!in_userns) {
		/* A new PID namespace (or an existing one): it applies to the children we fork from now on. */
		if (o->pidns) {
			int fd = open(o->pidns, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWPID) < 0) {
				trace_step(t0, "setns", errno, NULL, "%s, CLONE_NEWPID (a PID namespace that already exists)", o->pidns);
				send_error(ctl, errno, 1, "join pid namespace %s: %s", o->pidns, go_strerror(errno, why, sizeof why));
				return 1;
			}
			close(fd);
			trace_step(t0, "setns", 0, NULL, "%s, CLONE_NEWPID (a PID namespace that already exists)", o->pidns);
		} else if (unshare(CLONE_NEWPID) < 0) {
			trace_step(t0, "unshare", errno, NULL, "CLONE_NEWPID");
			send_error(ctl, errno, 1, "unshare pid namespace: %s", go_strerror(errno, why, sizeof why));
			return 1;
		} else {
			trace_step(t0, "unshare", 0, NULL, "CLONE_NEWPID (only our children enter it: the next fork makes its PID 1)");
		}
	}

	int lsock = bind_start_socket(ctl, dirfd, o->state_dir);
	if (lsock < 0)
		return 1;
	/* The container's cgroup (--cgroup): PID 1 is born in it when the kernel can (cgroup-fork.c).
	 * In a user namespace the gate is forked by mid, inside it: there the runtime moves it. */
	int cgfd = -1;
	if (o->cgroup && !in_userns && (cgfd = open_cgroup_dir(o->cgroup)) < 0) {
		send_error(ctl, errno, 1, "open cgroup %s: %s", o->cgroup, go_strerror(errno, why, sizeof why));
		return 1;
	}
	int born_in = 0, fallback = 0;
	t0 = trace_clock();
	pid_t pid = in_userns ? fork_gate_in_userns(ctl, o, lsock) : fork_into_cgroup(cgfd, &born_in, &fallback);
	if (pid < 0) {
		if (!in_userns) {
			const char *op = cgfd >= 0 && !fallback ? "clone3" : "fork";
			trace_step(t0, op, errno, NULL, "the container's first process%s", op[0] == 'c' ? ", CLONE_INTO_CGROUP" : "");
			send_error(ctl, errno, 1, "%s: %s", op, go_strerror(errno, why, sizeof why));
		}
		return 1;
	}
	if (pid == 0) {
		if (cgfd >= 0)
			close(cgfd); /* a host directory: never the gate's (hygiene.c) */
		become_gate(ctl, o, lsock);
	}
	if (cgfd >= 0)
		close(cgfd);
	if (fallback)
		trace_step(0, "clone3", fallback, NULL, "CLONE_INTO_CGROUP, %s: this kernel cannot; fork() instead, the runtime moves PID 1 (cgroup.procs)", o->cgroup);
	if (in_userns && set_gate_limits(ctl, o, pid) < 0) {
		kill(pid, SIGKILL);
		return 1;
	}
	close(lsock);
	{
		char res[64];
		snprintf(res, sizeof res, "pid %d on the host", pid);
		if (born_in)
			trace_step(t0, "clone3", 0, res, "CLONE_INTO_CGROUP, %s: the container's first process, born in its cgroup: PID 1 in its new PID namespace", o->cgroup);
		else
			trace_step(t0, "fork", 0, res, "the container's first process: PID 1 in its new PID namespace");
	}

	/* How PID 1 got into its cgroup, for the runtime: "born", or why not (it moves it then). */
	char how[32];
	step_aside(ctl, pid, devnull, cgroup_how(born_in, fallback, how, sizeof how));
	if (o->caller_parent)
		return 0; /* the gate is the caller's now (see the top of this file) */

	if (o->stdio != STDIO_INHERIT)
		stdio_relay(&o->io, &o->log);
	int code, sig;
	if (wait_exit(pid, &code, &sig) < 0)
		return 1;
	write_exit_status(dirfd, "exit", reserved, o->exit_fd, code, sig);
	return code;
}
