/* modes.h: the shim's command line (options.c) and its three modes: create (create.c), exec
 * (exec-mode.c), userns (userns-mode.c); what create and exec share (mode-setup.c, main.c). */
#ifndef TOCKER_SHIM_MODES_H
#define TOCKER_SHIM_MODES_H

#include "logs.h"

#include <sys/types.h>

enum stdio_mode { STDIO_INHERIT, STDIO_PIPES, STDIO_TTY };

struct options {
	int caller_parent; /* --parent caller */
	unsigned long unshare_flags; /* userns: --unshare FLAGS (clone flags, decimal) */
	const char *userns_path;     /* userns: --userns-path PATH (join instead of making one) */
	const char *console_socket; /* --console-socket PATH: connected here, kept as shim_fds.console */
	const char *timens;         /* --timens new|PATH: a time namespace for the child (as --pidns) */
	const char *timens_offsets; /* --timens-offsets "monotonic S N\nboottime S N": written after unshare */
	const char *prlimits;       /* create, user namespace: --prlimits "RES:SOFT:HARD,..." (applied from outside) */
	const char *oom_score_adj;  /* create, user namespace: --oom-score-adj N (written from outside) */
	const char *cgroup;         /* create: --cgroup DIR, the container's cgroup v2 dir: PID 1 is born in it (cgroup-fork.c) */
	int cgroup_fd;              /* exec: --cgroup-fd N, the same as an O_PATH fd: the process is born in it */
	int cgroupns_fd;            /* exec: --cgroupns-fd N, the container's cgroup namespace: the process joins it once in its cgroup */
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

void parse_options(int argc, char **argv, struct options *o);
int create_mode(int ctl, struct options *o);
int exec_mode(int ctl, struct options *o);
int userns_mode(int ctl, struct options *o);
/* After forking the container's process: report its PID and ours, and how it got into its cgroup
 * ("born", an errno name, or NULL); close what is the child's (main.c). */
void step_aside(int ctl, pid_t child, int devnull, const char *cgroup_how);
/* The container's cgroup dir as an O_PATH fd, fork() of PID 1 or exec's process into it, and what
 * to tell the runtime of it (cgroup-fork.c). */
int open_cgroup_dir(const char *path);
pid_t fork_into_cgroup(int cgroup_fd, int *born_in, int *fallback_errno);
const char *cgroup_how(int born_in, int fallback_errno, char *buf, size_t len);
/* --timens new|PATH (mode-setup.c). */
int enter_timens(int ctl, const char *which, const char *offsets);
/* --console-socket PATH, connected while the host's paths are visible (mode-setup.c). */
int connect_console(int ctl, const char *path);

#endif
