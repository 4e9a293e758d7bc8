/*
 * tocker-shim: the container's parent, and after a fork its PID 1 (the "gate", gate.c).
 *
 * Why this is C and not Node: Node.js cannot fork() (V8 marks its heap MADV_DONTFORK, so a
 * forked copy of Node dies at its first JavaScript instruction), and a new PID namespace only
 * applies to the *children* of the process that asks for it. Someone has to unshare(CLONE_NEWPID)
 * and then fork; this program is that someone, and nothing more than it needs to be. The runtime
 * prepares everything else (mount, UTS, IPC and network namespaces, the root filesystem, /dev,
 * pivot_root) from Node's main thread, visibly, and tells the gate what to do over a socket.
 *
 * Why it stays around as the parent: the runtime starts it detached (its own session), so the
 * container outlives whoever created it (`tocker runtime create` exits at once; the engine may
 * be killed and restarted). The shim waits for PID 1, writes its exit status into the container's
 * state directory (through a directory fd opened before pivot_root, which still points at the
 * host's directory afterwards) and exits with the same code. In "pipes" mode it also copies the
 * container's stdout/stderr into Docker's json-file log (logs.c).
 *
 * Static: after pivot_root the container's image has none of the host's libraries, and the shim
 * and gate are re-rooted into it too.
 *
 * Usage (the runtime passes the control socket as fd 3, see shim.h):
 *   shim create --state-dir DIR [--exit-fd 4] [--pidns PATH] [--stdio inherit|pipes|tty]
 *               [--log-dir DIR --log-name NAME [--log-max-size SIZE] [--log-max-file N]]
 *               [--stdin-fifo NAME [--stdin-once 1]] [--resize-fifo NAME]   (FIFOs in --log-dir)
 *   shim userns --unshare FLAGS [--userns-path PATH]   (the user namespace's holder, below)
 *   shim exec --mntns-fd N [--pidns-fd N] [--root-fd N] [--status-dir-fd N --status-name NAME] [--detach 1]
 * Both: [--timens new|PATH] (a time namespace, which like a PID namespace applies to our children)
 *   [--timens-offsets "monotonic S N\nboottime S N"] (linux.timeOffsets, with --timens new)
 *       [--console-socket PATH] (process.terminal: where the pty master goes, console.c)
 *       exec: [--console-fd N] (the same, on a socket already connected: the engine's socketpair)
 *       [--preserve-base B --preserve-fds N] (fds B.. become the program's 3..3+N-1)
 *       create: [--parent caller] (runc's process model, below)
 *       create, with --userns-fd: [--prlimits RES:SOFT:HARD,...] [--oom-score-adj N] (see
 *       fork_gate_in_userns: set on the gate from outside, with the host's powers)
 * Both: [--trace 1] (report each step on the control socket for `tocker --explain`, trace.c)
 *
 * In create mode the shim first forks and lets its first self exit at once: the runtime reaps
 * that one immediately, and the shim that stays is nobody's child (the kernel hands it to init),
 * so an engine that lives for weeks collects no zombies and a CLI can simply exit. The runtime
 * learns of the end through --exit-fd (a socket on which the shim writes the exit status last).
 *
 * runc's process model (`--parent caller`, bin/tocker-runtime when an engine runs it): conmon and
 * containerd-shim start the runtime as their child and make themselves "child subreapers"
 * (PR_SET_CHILD_SUBREAPER): an orphan below them is handed to them, not to init. They expect the
 * container's PID 1 to become their child that way, so that they reap it and see its real exit
 * status. So in that mode the shim does not daemonize and does not stay: it forks the gate, says
 * P, and exits at once. The runtime process (Node) reaps the shim; the gate, orphaned, goes to the
 * nearest subreaper above us: the engine's monitor. No exit.json is written (the caller has the
 * status), and the same code path as the shim model prepares namespaces, mounts and the gate.
 * With --detach 1 in exec mode, the same for an exec'd process (runc exec -d).
 */
#define _GNU_SOURCE
#include "logs.h"
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

enum stdio_mode { STDIO_INHERIT, STDIO_PIPES, STDIO_TTY };

struct shim_fds shim_fds = { .console = -1, .preserve_base = -1, .userns = -1 };

struct options {
	int caller_parent; /* --parent caller */
	unsigned long unshare_flags; /* userns: --unshare FLAGS (clone flags, decimal) */
	const char *userns_path;     /* userns: --userns-path PATH (join instead of making one) */
	const char *console_socket; /* --console-socket PATH: connected here, kept as shim_fds.console */
	const char *timens;         /* --timens new|PATH: a time namespace for the child (as --pidns) */
	const char *timens_offsets; /* --timens-offsets "monotonic S N\nboottime S N": written after unshare */
	const char *prlimits;       /* create, user namespace: --prlimits "RES:SOFT:HARD,..." (applied from outside) */
	const char *oom_score_adj;  /* create, user namespace: --oom-score-adj N (written from outside) */
	int detach;        /* exec --detach 1 */
	const char *state_dir;
	const char *pidns;
	enum stdio_mode stdio;
	const char *log_dir;
	struct log_opts log;
	int mntns_fd;
	int pidns_fd;
	int root_fd; /* exec: the container's root when it has no mount namespace of its own (chroot) */
	int exit_fd;
	int status_dir_fd; /* exec: where <status_name>.json goes (the container's execs/ state dir) */
	const char *status_name;
	struct shim_stdio io; /* pipes/tty mode: stdin and resize FIFOs (logs.c) */
};

static void parse_options(int argc, char **argv, struct options *o)
{
	o->stdio = STDIO_INHERIT;
	o->mntns_fd = -1;
	o->pidns_fd = -1;
	o->root_fd = -1;
	o->status_dir_fd = -1;
	o->exit_fd = -1;
	o->log.max_size = LOG_DEFAULT_MAX_SIZE;
	o->log.max_file = LOG_DEFAULT_MAX_FILE;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die("option %s needs a value", a);
		i++;
		if (!strcmp(a, "--state-dir"))
			o->state_dir = v;
		else if (!strcmp(a, "--pidns"))
			o->pidns = v;
		else if (!strcmp(a, "--stdio"))
			o->stdio = !strcmp(v, "pipes") ? STDIO_PIPES : !strcmp(v, "tty") ? STDIO_TTY : STDIO_INHERIT;
		else if (!strcmp(a, "--stdin-fifo"))
			o->io.stdin_fifo = v;
		else if (!strcmp(a, "--stdin-once"))
			o->io.stdin_once = !strcmp(v, "1");
		else if (!strcmp(a, "--resize-fifo"))
			o->io.resize_fifo = v;
		else if (!strcmp(a, "--log-dir"))
			o->log_dir = v;
		else if (!strcmp(a, "--log-name"))
			o->log.name = v;
		else if (!strcmp(a, "--log-max-size"))
		{
			/* The engine checks these at create; a bad value here must not quietly mean "never rotate". */
			o->log.max_size = parse_log_size(v);
			if (o->log.max_size <= 0)
				die("invalid --log-max-size %s", v);
		}
		else if (!strcmp(a, "--log-max-file"))
		{
			char *end;
			long n = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || n < 1 || n > 1000000)
				die("invalid --log-max-file %s", v);
			o->log.max_file = (int)n;
		}
		else if (!strcmp(a, "--mntns-fd"))
			o->mntns_fd = atoi(v);
		else if (!strcmp(a, "--pidns-fd"))
			o->pidns_fd = atoi(v);
		else if (!strcmp(a, "--root-fd"))
			o->root_fd = atoi(v);
		else if (!strcmp(a, "--exit-fd"))
			o->exit_fd = atoi(v);
		else if (!strcmp(a, "--status-dir-fd"))
			o->status_dir_fd = atoi(v);
		else if (!strcmp(a, "--status-name"))
			o->status_name = v;
		else if (!strcmp(a, "--parent"))
			o->caller_parent = !strcmp(v, "caller");
		else if (!strcmp(a, "--detach"))
			o->detach = !strcmp(v, "1");
		else if (!strcmp(a, "--console-socket"))
			o->console_socket = v;
		else if (!strcmp(a, "--console-fd"))
			shim_fds.console = atoi(v);
		else if (!strcmp(a, "--timens"))
			o->timens = v;
		else if (!strcmp(a, "--timens-offsets"))
			o->timens_offsets = v;
		else if (!strcmp(a, "--prlimits"))
			o->prlimits = v;
		else if (!strcmp(a, "--oom-score-adj"))
			o->oom_score_adj = v;
		else if (!strcmp(a, "--unshare"))
			o->unshare_flags = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--userns-path"))
			o->userns_path = v;
		else if (!strcmp(a, "--userns-fd"))
			shim_fds.userns = atoi(v);
		else if (!strcmp(a, "--preserve-base"))
			shim_fds.preserve_base = atoi(v);
		else if (!strcmp(a, "--preserve-fds"))
		{
			shim_fds.preserve_n = atoi(v);
			if (shim_fds.preserve_n < 0 || shim_fds.preserve_n > 65536)
				die("invalid --preserve-fds %s", v);
		}
		else if (!strcmp(a, "--trace"))
			trace_enable(!strcmp(v, "1"));
		else
			die("unknown option %s", a);
	}
}

/*
 * After forking the container's process (the gate, or exec's process): tell the runtime its PID
 * and ours, then step aside. From here on the runtime talks to the child alone: when the child
 * dies (or execs, close-on-exec), the runtime's end of the control socket must see end-of-file, so
 * our copy goes. Our stdio goes too: the container's output pipes must close when the container's
 * processes are gone, not when we are.
 */
static void step_aside(int ctl, pid_t child, int devnull)
{
	char p[64];
	int len = snprintf(p, sizeof p, "%d %d", child, getpid());
	send_msg(ctl, MSG_PID, p, (size_t)len);
	close(ctl);
	/* The console socket and preserved fds are the child's: a caller waiting for the end of
	 * either must not wait for us. */
	if (shim_fds.console >= 0)
		close(shim_fds.console);
	if (shim_fds.userns >= 0)
		close(shim_fds.userns);
	for (int i = 0; i < shim_fds.preserve_n; i++)
		close(shim_fds.preserve_base + i);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	prctl(PR_SET_NAME, "tocker-shim", 0, 0, 0);
}

/*
 * --console-socket: connect to the caller's socket now, while the host's paths are visible (the
 * gate sends the pty master on it after pivot_root). A path longer than sun_path's 108 bytes is
 * reached through its directory, opened, as /proc/self/fd/N/name.
 */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/*
 * --timens: a new time namespace (Linux 5.6) or the one at PATH. Like a PID namespace, unshare
 * makes it the namespace of the children we fork next (the gate, the exec'd process); setns
 * (which only a single-threaded process may do: Node could not) moves us there too.
 */
static int enter_timens(int ctl, const char *which, const char *offsets)
{
	char why[128];
	if (!strcmp(which, "new")) {
		if (unshare(CLONE_NEWTIME) < 0) {
			send_error(ctl, errno, 1, "unshare time namespace: %s", go_strerror(errno, why, sizeof why));
			return -1;
		}
		/* linux.timeOffsets: the clocks' offsets can be written to /proc/self/timens_offsets only
		 * while no process is in the new namespace yet (we are not: unshare(CLONE_NEWTIME) moves
		 * only our future children), in one write of "<clock> <secs> <nanosecs>" lines; after the
		 * first child the kernel answers EACCES (Linux 5.6, kernel/time/namespace.c). */
		if (offsets && *offsets) {
			if (write_file("/proc/self/timens_offsets", offsets) < 0) {
				send_error(ctl, errno, 1, "write time namespace offsets (%s): %s", offsets, go_strerror(errno, why, sizeof why));
				return -1;
			}
		}
		return 0;
	}
	int fd = open(which, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0) {
		send_error(ctl, errno, 1, "join time namespace %s: %s", which, go_strerror(errno, why, sizeof why));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int connect_console(int ctl, const char *path)
{
	char why[128];
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int dirfd = -1;
	if (strlen(path) < sizeof addr.sun_path) {
		strcpy(addr.sun_path, path);
	} else {
		const char *slash = strrchr(path, '/');
		char dir[4096];
		if (!slash || (size_t)(slash - path) >= sizeof dir) {
			send_error(ctl, ENAMETOOLONG, 1, "console socket path %s is too long", path);
			return -1;
		}
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
		dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0 || snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1) >= (int)sizeof addr.sun_path) {
			send_error(ctl, errno ? errno : ENAMETOOLONG, 1, "console socket %s: %s", path, go_strerror(errno ? errno : ENAMETOOLONG, why, sizeof why));
			return -1;
		}
	}
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = sock >= 0 && connect(sock, (struct sockaddr *)&addr, sizeof addr) == 0;
	int err = errno;
	if (dirfd >= 0)
		close(dirfd);
	if (!ok) {
		send_error(ctl, err, 1, "failed to connect to console socket %s: %s", path, go_strerror(err, why, sizeof why));
		if (sock >= 0)
			close(sock);
		return -1;
	}
	shim_fds.console = sock;
	return 0;
}

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

static int create(int ctl, struct options *o)
{
	char why[128];
	if (!o->state_dir)
		die("create needs --state-dir");
	/* Daemonize: the runtime reaps this first process right away (see the top of this file). In
	 * runc's model we stay the runtime's child and exit once the gate exists. */
	if (!o->caller_parent) {
		pid_t first = fork();
		if (first < 0)
			die("fork: %s", strerror(errno));
		if (first > 0)
			_exit(0);
	}
	if (o->exit_fd >= 0)
		fcntl(o->exit_fd, F_SETFD, FD_CLOEXEC); /* the gate and the container must not hold it */

	int dirfd = open(o->state_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (dirfd < 0 || devnull < 0)
		die("open %s: %s", o->state_dir, strerror(errno));
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
			die("log relay: %s", strerror(errno));
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
	t0 = trace_clock();
	pid_t pid = in_userns ? fork_gate_in_userns(ctl, o, lsock) : fork();
	if (pid < 0) {
		if (!in_userns) {
			trace_step(t0, "fork", errno, NULL, "the container's first process");
			send_error(ctl, errno, 1, "fork: %s", go_strerror(errno, why, sizeof why));
		}
		return 1;
	}
	if (pid == 0)
		become_gate(ctl, o, lsock);
	if (in_userns && set_gate_limits(ctl, o, pid) < 0) {
		kill(pid, SIGKILL);
		return 1;
	}
	close(lsock);
	{
		char res[64];
		snprintf(res, sizeof res, "pid %d on the host", pid);
		trace_step(t0, "fork", 0, res, "the container's first process: PID 1 in its new PID namespace");
	}

	step_aside(ctl, pid, devnull);
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

/* The exec'd process's status, as our own exit status (128+n for a signal, as a shell says it). */
static pid_t exec_child;
static void forward_signal(int sig)
{
	if (exec_child > 0)
		kill(exec_child, sig);
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
static int exec_mode(int ctl, struct options *o)
{
	char why[128];
	/* The host's /dev/null, opened before we enter the container (its /dev is the container's). */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		die("open /dev/null: %s", strerror(errno));
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
	t0 = trace_clock();
	pid_t pid = fork();
	if (pid < 0) {
		trace_step(t0, "fork", errno, NULL, "the exec'd process");
		send_error(ctl, errno, 1, "fork: %s", go_strerror(errno, why, sizeof why));
		return 1;
	}
	if (pid == 0) {
		trace_actor("process");
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
	{
		char res[64];
		snprintf(res, sizeof res, "pid %d on the host", pid);
		trace_step(t0, "fork", 0, res, "the exec'd process, born inside the container's mount and PID namespaces");
	}
	step_aside(ctl, pid, devnull);
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

/*
 * userns: the holder of a container's user namespace (src/runtime/userns.ts says why). Node is
 * multi-threaded and the kernel refuses it CLONE_NEWUSER, so this single-threaded process makes the
 * user namespace and, in the same unshare(2), the container's other new namespaces (mount, UTS,
 * IPC, network; not PID: see userns.ts), which are then *owned* by the user namespace: root in the
 * container has its capabilities over them, as with runc. It says R and waits: meanwhile the
 * runtime writes its uid_map and gid_map (a privileged process of the parent namespace may map any
 * ids), joins those namespaces, and has the shim join the PID namespace. End of file on the
 * control socket: the namespaces are held by others now, we exit.
 */
static int userns_mode(int ctl, struct options *o)
{
	char why[128];
	unsigned long flags = o->unshare_flags;
	if (o->userns_path) {
		int fd = open(o->userns_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0) {
			send_error(ctl, errno, 1, "join user namespace %s: %s", o->userns_path, go_strerror(errno, why, sizeof why));
			return 1;
		}
		close(fd);
	} else {
		flags |= CLONE_NEWUSER;
	}
	if (flags && unshare((int)flags) < 0) {
		send_error(ctl, errno, 1, "unshare namespaces (flags 0x%lx): %s", flags, go_strerror(errno, why, sizeof why));
		return 1;
	}
	prctl(PR_SET_NAME, "tocker-userns", 0, 0, 0);
	send_msg(ctl, MSG_READY, NULL, 0);
	char c;
	while (recv_msg(ctl, &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	/* Not dumpable: processes in the container cannot ptrace us or open /proc/<pid>/exe, root,
	 * cwd or fd of us while we run as root. execve of the user's program makes it dumpable again. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* And /proc/<pid>/exe is a sealed copy in memory, never the host's file (sealed.c). */
	run_sealed(argv);
	if (chdir("/") < 0)
		die("chdir /: %s", strerror(errno));
	if (argc < 2)
		die("usage: shim create|exec [options]");
	struct options o = { 0 };
	parse_options(argc, argv, &o);
	/* Whatever our parent let us inherit beyond what we were given goes (hygiene.c). */
	int keep[] = { CONTROL_FD, o.exit_fd, o.mntns_fd, o.pidns_fd, o.root_fd, o.status_dir_fd, shim_fds.userns, shim_fds.console };
	fds_keep(keep, sizeof keep / sizeof keep[0]);
	fds_keep_range(shim_fds.preserve_base, shim_fds.preserve_n);
	if (fds_close_others() < 0)
		die("close inherited fds: %s", strerror(errno));
	if (!strcmp(argv[1], "create"))
		return create(CONTROL_FD, &o);
	if (!strcmp(argv[1], "exec"))
		return exec_mode(CONTROL_FD, &o);
	if (!strcmp(argv[1], "userns"))
		return userns_mode(CONTROL_FD, &o);
	die("unknown mode %s", argv[1]);
}
