/*
 * process.c: turn the gate into the container's process. The runtime (Node) decides everything
 * (it reads the container's /etc/passwd, turns capability names into bit masks, ...) and sends
 * the result as a list of fields, each one tag byte + a NUL-terminated value:
 *
 *   a <arg>    (repeated, in order)       e <NAME=value> (repeated)      c <cwd>
 *   u <uid>    g <gid>    G <gid> (repeated: additional groups)          m <umask, octal>
 *   n 1        (no_new_privs)             o <oom_score_adj>
 *   B/E/P/I/A  <hex mask>: bounding, effective, permitted, inheritable, ambient capabilities
 *   r <resource soft hard> (repeated; RLIM_INFINITY as 18446744073709551615)
 *   F <flags> <hex>: the seccomp filter, compiled by the runtime (seccomp.c)
 *   T <rows> <cols> <1: bind on /dev/console>: process.terminal (console.c, --console-fd)
 *   k <name>   join a new session keyring of that name (runc's "_ses.<id>"; absent: --no-new-keyring)
 *   p <profile>: the AppArmor profile to change to at execve (sent only where AppArmor is enabled)
 *   h/j/J/V/X  the startContainer hooks (hooks.c), run between `start` and execve
 *
 * The order of the steps matters, because each one takes away a power a later one needs:
 *   every fd but stdio and the runtime's sockets is closed first (hygiene.c);
 *   rlimits next (raising a hard limit needs CAP_SYS_RESOURCE);
 *   the bounding set next (dropping needs CAP_SETPCAP);
 *   then the user: with PR_SET_KEEPCAPS, setuid() away from 0 keeps the permitted set (it would
 *   otherwise empty it), so capset() can still install the container's sets afterwards;
 *   then no_new_privs, umask, and chdir as the new user (so permissions are checked as theirs),
 *   checked to have landed inside the root (hygiene.c: getcwd);
 *   the program is looked up last, also as the new user, like runc (Go's exec.LookPath).
 * The seccomp filter (compiled beforehand by the runtime) is loaded as late as it can be, which
 * depends on no_new_privs, as in runc:
 *   - loading a filter needs no_new_privs or CAP_SYS_ADMIN (otherwise a filter could make a
 *     setuid program misbehave in the middle of its privileged work and so be used against it);
 *   - with no_new_privs (--security-opt no-new-privileges) it is the very last step, right before
 *     execve: nothing of our own setup has to pass through it;
 *   - without (Docker's default), it must be loaded while we still hold CAP_SYS_ADMIN, before the
 *     capabilities and the user change: the rest of the setup (setgroups, setresuid, capset,
 *     prctl, chdir, stat, execve, ...) then runs under the filter, so a custom profile that
 *     refuses one of those makes the container fail to start (runc behaves the same).
 * At execve the kernel recomputes the sets: root gets the bounding set as CapEff, any other user
 * gets an empty CapEff (unless ambient or file capabilities say otherwise), as with Docker.
 */
#define _GNU_SOURCE
#include "process-spec.h"
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAIL(code, ...)                                    \
	do {                                                   \
		*err_no = errno;                                   \
		*exit_code = (code);                               \
		snprintf(msg, cap, __VA_ARGS__);                   \
		return -1;                                         \
	} while (0)

static int set_capabilities(const struct process_spec *s)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(s->caps[1] >> (32 * i));
		data[i].permitted = (uint32_t)(s->caps[2] >> (32 * i));
		data[i].inheritable = (uint32_t)(s->caps[3] >> (32 * i));
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Go's exec.LookPath: a name with a slash is used as is; otherwise each $PATH entry is tried and
 * the first regular file we may execute wins. */
static int lookup_program(struct process_spec *s, int *err_no, int *exit_code, char *msg, size_t cap)
{
	const char *name = s->argv[0];
	char why[128];
	if (strchr(name, '/')) {
		struct stat st;
		if (stat(name, &st) < 0)
			FAIL(127, "exec: \"%s\": stat %s: %s", name, name, go_strerror(errno, why, sizeof why));
		if (S_ISDIR(st.st_mode) || access(name, X_OK) < 0) {
			errno = EACCES;
			FAIL(126, "exec: \"%s\": permission denied", name);
		}
		s->path = (char *)name;
		return 0;
	}
	const char *path = NULL;
	for (size_t i = 0; i < s->envc; i++)
		if (s->env[i] && strncmp(s->env[i], "PATH=", 5) == 0)
			path = s->env[i] + 5;
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	const char *dir = path;
	for (;;) {
		const char *colon = strchr(dir, ':');
		size_t dlen = colon ? (size_t)(colon - dir) : strlen(dir);
		char *cand;
		if (asprintf(&cand, "%.*s/%s", (int)dlen, dlen ? dir : ".", name) < 0)
			FAIL(126, "out of memory");
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			s->path = cand;
			return 0;
		}
		free(cand);
		if (!colon)
			break;
		dir = colon + 1;
	}
	errno = ENOENT;
	FAIL(127, "exec: \"%s\": executable file not found in $PATH", name);
}

/*
 * runc's session keyring: without it the container shares the session keyring of whoever started
 * the runtime (a login's keys, say). KEYCTL_JOIN_SESSION_KEYRING makes a new one of this name (or
 * joins the container's own, for exec), then "possessor" gets every right on it and the user
 * "search", as runc sets it (ModKeyringPerm(id, 0xffffffff, 0x080000)).
 */
static int join_keyring(const char *name)
{
	long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
	if (id < 0)
		return errno == ENOSYS ? 0 : -1;
	char desc[512];
	long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof desc - 1);
	if (n < 0)
		return -1;
	desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = 0;
	/* "type;uid;gid;perm;description" */
	char *f = desc;
	for (int i = 0; i < 3 && f; i++)
		f = strchr(f, ';') ? strchr(f, ';') + 1 : NULL;
	if (!f)
		return 0;
	unsigned long perm = strtoul(f, NULL, 16) | 0x080000;
	return syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm) < 0 ? -1 : 0;
}

/* Change to the AppArmor profile at the next execve (runc's apparmor.ApplyProfile). */
static int apparmor_on_exec(const char *profile)
{
	int fd = open("/proc/thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[512];
	int n = snprintf(buf, sizeof buf, "exec %s", profile);
	int ok = n > 0 && n < (int)sizeof buf && write(fd, buf, (size_t)n) == n;
	int e = errno;
	close(fd);
	errno = e;
	return ok ? 0 : -1;
}

/* The seccomp filter's load, traced: `when` says why it is loaded at this point. */
static int load_filter(const struct process_spec *s, const char *when)
{
	uint64_t t0 = trace_clock();
	int r = load_seccomp_filter(s->seccomp);
	trace_step(t0, "seccomp", r < 0 ? errno : 0, NULL, "SECCOMP_SET_MODE_FILTER, %u BPF instructions, %s", seccomp_filter_length(s->seccomp), when);
	return r;
}

static const char *const RLIMIT_NAMES[] = { "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME" };

static const char *rlimit_name(int r)
{
	return r >= 0 && (size_t)r < sizeof RLIMIT_NAMES / sizeof RLIMIT_NAMES[0] ? RLIMIT_NAMES[r] : "RLIMIT_?";
}

int prepare_process(struct process_spec *s, int *err_no, int *exit_code, char *msg, size_t cap)
{
	char why[128];
	uint64_t t0;
	/* First, before the seccomp filter (which may not allow close_range): only stdio and the
	 * sockets to the runtime stay open from here to execve (hygiene.c). Every fd opened below is
	 * closed again before the chdir. */
	if (fds_close_others() < 0)
		FAIL(1, "close inherited fds: %s", go_strerror(errno, why, sizeof why));
	if (s->has_oom) {
		t0 = trace_clock();
		char v[16];
		snprintf(v, sizeof v, "%d", s->oom_score_adj);
		if (write_file("/proc/self/oom_score_adj", v) < 0)
			FAIL(1, "set oom_score_adj: %s", go_strerror(errno, why, sizeof why));
		trace_step(t0, "write", 0, NULL, "/proc/self/oom_score_adj <- %d", s->oom_score_adj);
	}
	for (size_t i = 0; i < s->nrlimits; i++) {
		t0 = trace_clock();
		int r = setrlimit(s->rlimits[i].resource, &s->rlimits[i].lim);
		trace_step(t0, "setrlimit", r < 0 ? errno : 0, NULL, "%s, soft %llu, hard %llu", rlimit_name(s->rlimits[i].resource),
			   (unsigned long long)s->rlimits[i].lim.rlim_cur, (unsigned long long)s->rlimits[i].lim.rlim_max);
		if (r < 0)
			FAIL(1, "setrlimit %d: %s", s->rlimits[i].resource, go_strerror(errno, why, sizeof why));
	}
	if (s->keyring && join_keyring(s->keyring) < 0)
		FAIL(1, "unable to join session keyring: %s", go_strerror(errno, why, sizeof why));
	/* The terminal: opened and mounted as root, before the filter (which refuses mount). */
	if (s->has_term && console_setup(shim_fds.console, s->rows, s->cols, s->console, msg, cap) < 0) {
		*err_no = errno;
		*exit_code = 1;
		return -1;
	}
	if (s->apparmor && apparmor_on_exec(s->apparmor) < 0)
		FAIL(1, "apply apparmor profile %s: %s", s->apparmor, go_strerror(errno, why, sizeof why));
	/* The user namespace last of the host's powers: everything above needed the init namespace's
	 * capabilities (raising rlimits, the /dev/console mount, ...). From here the process is root of
	 * its own namespace (all capabilities there, none over what the host owns), and the uid and
	 * gids below are the container's numbers, mapped by uid_map/gid_map. */
	if (shim_fds.userns >= 0) {
		if (setns(shim_fds.userns, CLONE_NEWUSER) < 0)
			FAIL(1, "join the user namespace: %s", go_strerror(errno, why, sizeof why));
		close(shim_fds.userns);
		shim_fds.userns = -1;
	}

	/* Without no_new_privs: now, while we still hold CAP_SYS_ADMIN (see the top of this file). */
	if (s->seccomp && !s->no_new_privs && load_filter(s, "before the capabilities are dropped (without no_new_privs, loading a filter needs CAP_SYS_ADMIN)") < 0)
		FAIL(1, "error loading seccomp filter into kernel: %s", go_strerror(errno, why, sizeof why));
	if (s->has_caps) {
		t0 = trace_clock();
		int dropped = 0;
		/* PR_CAPBSET_READ fails with EINVAL past the last capability this kernel knows. */
		for (int c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
			if (!(s->caps[0] & (1ULL << c))) {
				if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
					trace_step(t0, "prctl", errno, NULL, "PR_CAPBSET_DROP, capability %d", c);
					FAIL(1, "drop capability %d from the bounding set: %s", c, go_strerror(errno, why, sizeof why));
				}
				dropped++;
			}
		trace_step(t0, "prctl", 0, NULL, "PR_CAPBSET_DROP x %d: bounding set caps=0x%016llx", dropped, (unsigned long long)s->caps[0]);
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			FAIL(1, "keepcaps: %s", go_strerror(errno, why, sizeof why));
	}
	t0 = trace_clock();
	if (setgroups(s->ngroups, s->groups) < 0)
		FAIL(1, "setgroups: %s", go_strerror(errno, why, sizeof why));
	if (setresgid(s->gid, s->gid, s->gid) < 0)
		FAIL(1, "setgid %u: %s", s->gid, go_strerror(errno, why, sizeof why));
	if (setresuid(s->uid, s->uid, s->uid) < 0)
		FAIL(1, "setuid %u: %s", s->uid, go_strerror(errno, why, sizeof why));
	trace_step(t0, "setresuid", 0, NULL, "uid %u, gid %u, %zu supplementary group(s) (setgroups, setresgid, setresuid)", s->uid, s->gid, s->ngroups);
	if (s->has_caps) {
		t0 = trace_clock();
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		if (set_capabilities(s) < 0)
			FAIL(1, "capset: %s", go_strerror(errno, why, sizeof why));
		trace_step(t0, "capset", 0, NULL, "effective caps=0x%016llx, permitted caps=0x%016llx, inheritable caps=0x%016llx", (unsigned long long)s->caps[1],
			   (unsigned long long)s->caps[2], (unsigned long long)s->caps[3]);
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		/* The kernel raises an ambient capability only if it is permitted *and* inheritable;
		 * runc only warns about the others (runc spec lists ambient caps without inheritable
		 * ones), so they are skipped here. */
		for (int c = 0; c < 64; c++)
			if ((s->caps[4] & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
				FAIL(1, "raise ambient capability %d: %s", c, go_strerror(errno, why, sizeof why));
	}
	if (s->no_new_privs) {
		t0 = trace_clock();
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			FAIL(1, "no_new_privs: %s", go_strerror(errno, why, sizeof why));
		trace_step(t0, "prctl", 0, NULL, "PR_SET_NO_NEW_PRIVS, 1 (setuid programs and file capabilities can no longer raise privileges)");
	}
	if (s->umask >= 0)
		umask((mode_t)s->umask);
	/* No fd but stdio and the runtime's sockets is open (closed at the top), and where chdir
	 * lands must be inside our root (hygiene.c: the CVE-2024-21626 class). */
	t0 = trace_clock();
	if (chdir(s->cwd) < 0) {
		trace_step(t0, "chdir", errno, NULL, "\"%s\"", s->cwd);
		FAIL(1, "chdir to cwd (\"%s\") set in config.json failed: %s", s->cwd, go_strerror(errno, why, sizeof why));
	}
	trace_step(t0, "chdir", 0, NULL, "\"%s\"", s->cwd);
	t0 = trace_clock();
	if (cwd_check(err_no, msg, cap) < 0) {
		trace_step(t0, "getcwd", *err_no, msg, "is the working directory inside the container's root?");
		*exit_code = 1;
		return -1;
	}
	trace_step(t0, "getcwd", 0, "inside the root", "is the working directory inside the container's root?");
	t0 = trace_clock();
	int r = lookup_program(s, err_no, exit_code, msg, cap);
	trace_step(t0, "lookup", r < 0 ? *err_no : 0, r < 0 ? msg : s->path, "\"%s\" (Go's exec.LookPath: $PATH, as the container's user)", s->argv[0]);
	return r;
}

int process_start_hooks(struct process_spec *s, char *msg, size_t cap)
{
	return hooks_run(s->start_hooks, msg, cap);
}

void exec_process(struct process_spec *s, int *reply_fd, int *err_no, int *exit_code, char *msg, size_t cap)
{
	char why[128];
	/* Every fd but stdio is closed by execve (close_range marks them all close-on-exec, so the
	 * socket that reports a failed execve is still open if execve returns). */
	if (syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) < 0)
		for (int fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* --preserve-fds / LISTEN_FDS: ours at preserve_base.. become the program's 3, 4, ... (dup2
	 * leaves the copies without close-on-exec). The reporting socket moves above them first.
	 * Sources are never below their targets (preserve_base >= 3), so going up never overwrites a
	 * source still to be copied. */
	int n = shim_fds.preserve_n, base = shim_fds.preserve_base;
	if (n > 0) {
		int above = (base > 3 ? base : 3) + n;
		if (*reply_fd >= 0 && *reply_fd < above) {
			int moved = fcntl(*reply_fd, F_DUPFD_CLOEXEC, above);
			if (moved >= 0) {
				trace_fd_moved(*reply_fd, moved);
				*reply_fd = moved;
			}
		}
		for (int i = 0; i < n; i++) {
			if (base + i == 3 + i)
				fcntl(3 + i, F_SETFD, 0);
			else if (dup2(base + i, 3 + i) < 0) {
				*err_no = errno;
				*exit_code = 1;
				snprintf(msg, cap, "preserve fd %d: %s", base + i, go_strerror(errno, why, sizeof why));
				return;
			}
		}
	}
	/* Node puts its stdio in non-blocking mode; the file descriptions are shared with us, and a
	 * program that gets EAGAIN on stdout would fail. */
	for (int fd = 0; fd < 3; fd++) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK))
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* With no_new_privs: the last step before execve (see the top of this file). */
	if (s->seccomp && s->no_new_privs && load_filter(s, "after no_new_privs, just before execve") < 0) {
		*err_no = errno;
		*exit_code = 1;
		snprintf(msg, cap, "error loading seccomp filter into kernel: %s", go_strerror(errno, why, sizeof why));
		return;
	}
	/* Reported before: if it works there is nobody left to report it (the runtime sees the
	 * close-on-exec socket close). */
	if (trace_on()) {
		char args[1024];
		size_t len = 0;
		for (size_t i = 0; i < s->argc && len + 8 < sizeof args; i++) {
			int n = snprintf(args + len, sizeof args - len, "%s\"%s\"", i ? ", " : "", s->argv[i]);
			if (n < 0)
				break;
			len += (size_t)n < sizeof args - len ? (size_t)n : sizeof args - len - 1;
		}
		trace_step(0, "execve", 0, "pending", "\"%s\", [%s]", s->path, args);
	}
	execve(s->path, s->argv, s->env);
	*err_no = errno;
	*exit_code = errno == ENOENT ? 127 : 126;
	snprintf(msg, cap, "exec: \"%s\": %s", s->argv[0], go_strerror(errno, why, sizeof why));
}
