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
 *               [--log-dir DIR --log-name NAME [--log-max-size SIZE] [--log-max-file N]
 *                [--log-pin-files N]] (names kept while NAME.attached exists, json-log.c)
 *               [--stdin-fifo NAME [--stdin-once 1]] [--resize-fifo NAME]   (FIFOs in --log-dir)
 *   shim userns --unshare FLAGS [--userns-path PATH]   (the user namespace's holder, below)
 *   shim exec --mntns-fd N [--pidns-fd N] [--root-fd N] [--status-dir-fd N --status-name NAME] [--detach 1]
 *             [--cgroup-fd N] (the process is born in this cgroup v2 dir when the kernel can, cgroup-fork.c)
 *             [--cgroupns-fd N] (the container's cgroup namespace: the process joins it after its birth)
 * Both: [--timens new|PATH] (a time namespace, which like a PID namespace applies to our children)
 *   [--timens-offsets "monotonic S N\nboottime S N"] (linux.timeOffsets, with --timens new)
 *       [--console-socket PATH] (process.terminal: where the pty master goes, console.c)
 *       exec: [--console-fd N] (the same, on a socket already connected: the engine's socketpair)
 *       [--preserve-base B --preserve-fds N] (fds B.. become the program's 3..3+N-1)
 *       create: [--parent caller] (runc's process model, below)
 *       create, without --userns-fd: [--cgroup DIR] (PID 1 is born in this cgroup v2 dir when the
 *       kernel can: clone3 CLONE_INTO_CGROUP, cgroup-fork.c)
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
 *
 * Here: main() and step_aside(). The options are read in options.c; the modes are create.c,
 * exec-mode.c and userns-mode.c; mode-setup.c has what create and exec share (console, timens).
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

struct shim_fds shim_fds = { .console = -1, .preserve_base = -1, .userns = -1 };

/*
 * After forking the container's process (the gate, or exec's process): tell the runtime its PID
 * and ours, then step aside. From here on the runtime talks to the child alone: when the child
 * dies (or execs, close-on-exec), the runtime's end of the control socket must see end-of-file, so
 * our copy goes. Our stdio goes too: the container's output pipes must close when the container's
 * processes are gone, not when we are.
 */
void step_aside(int ctl, pid_t child, int devnull, const char *cgroup_how)
{
	char p[96];
	int len = cgroup_how ? snprintf(p, sizeof p, "%d %d %s", child, getpid(), cgroup_how) : snprintf(p, sizeof p, "%d %d", child, getpid());
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

int main(int argc, char **argv)
{
	/* Not dumpable: processes in the container cannot ptrace us or open /proc/<pid>/exe, root,
	 * cwd or fd of us while we run as root. execve of the user's program makes it dumpable again. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* And /proc/<pid>/exe is a sealed copy in memory, never the host's file (sealed.c). */
	run_sealed(argv);
	if (chdir("/") < 0)
		die("chdir /: %s", errno_text(errno));
	if (argc < 2)
		die("usage: shim create|exec [options]");
	struct options o = { 0 };
	parse_options(argc, argv, &o);
	/* Whatever our parent let us inherit beyond what we were given goes (hygiene.c). */
	int keep[] = { CONTROL_FD, o.exit_fd, o.mntns_fd, o.pidns_fd, o.root_fd, o.status_dir_fd, o.cgroup_fd, o.cgroupns_fd, shim_fds.userns, shim_fds.console };
	fds_keep(keep, sizeof keep / sizeof keep[0]);
	fds_keep_range(shim_fds.preserve_base, shim_fds.preserve_n);
	if (fds_close_others() < 0)
		die("close inherited fds: %s", errno_text(errno));
	if (!strcmp(argv[1], "create"))
		return create_mode(CONTROL_FD, &o);
	if (!strcmp(argv[1], "exec"))
		return exec_mode(CONTROL_FD, &o);
	if (!strcmp(argv[1], "userns"))
		return userns_mode(CONTROL_FD, &o);
	die("unknown mode %s", argv[1]);
}
