/*
 * The kernel floor of tocker's runtime create (issue 14): the same system calls, in the same order,
 * that src/runtime/create.ts makes for one container, from a small C program with nothing else
 * around them (no JavaScript, no koffi, no trace layer, no exec of a shim). What this takes is what
 * the kernel (and two forks) cost; what tocker takes above it is ours. Built and run by
 * test/bench/create-floor.mjs, which writes the plan below from the container's own config.json
 * (the mount flags computed by the runtime's own code) and times tocker beside it.
 *
 *   create-floor PLAN   (root; in a network namespace of the caller's making: run-profile does that)
 *
 * PLAN, one step per line, fields separated by tabs ('-' = none):
 *   cgroup DIR                       a cgroup2 directory to make, put PID 1 in, remove at the end
 *                                    (tocker makes one only where cgroup v2 is usable)
 *   cgroup-at-fork                   with cgroup: PID 1 is forked into it (clone3 CLONE_INTO_CGROUP)
 *                                    instead of moved there by a write to cgroup.procs
 *   unmark DIR                       rmdir a volatile overlay's mark in its workdir (overlay.ts)
 *   hostname NAME
 *   overlay ROOTFS DATA              mount("overlay", ROOTFS, "overlay", MS_NODEV, DATA)
 *   mount TYPE SOURCE DEST FLAGS DATA PROPAGATION   (proc and cgroup2: by PID 1, as tocker's gate)
 *   bind SOURCE DEST REC NODEV EXTRA PROPAGATION
 *   device PATH MODE MAJOR MINOR
 *   symlink TARGET NAME              in /dev
 *   ptmx                             /dev/ptmx -> pts/ptmx
 *   passwd                           read /etc/passwd and /etc/group inside the root (the user's name)
 *   mask PATH
 *   readonly PATH
 *   seccomp HEX FLAGS                the compiled filter (struct sock_filter[], hex), loaded by PID 1
 *   capbset MASK                     bounding set to keep (PR_CAPBSET_DROP for the others), by PID 1
 *   exec PATH                        what PID 1 execs at start
 *
 * Output: one line of JSON, the milliseconds of each phase (CLOCK_MONOTONIC), "create" being
 * everything up to being home again with PID 1 ready (what tocker's "runtime create" span covers).
 *
 * The process model is tocker's: this process plays Node's main thread (it unshares mount, UTS, IPC
 * and network namespaces and mounts there), a forked child plays the shim (unshare(CLONE_NEWPID),
 * fork PID 1), and PID 1 mounts /proc and cgroup2 on request over a SOCK_SEQPACKET socketpair and
 * waits for "go" before execve. The difference, on purpose: the shim is a fork of this process, not
 * a posix_spawn of a binary (Node cannot fork; that exec is tocker's, and shows in the difference).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "create-floor: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define MAX_LINES 256
#define MAX_FIELDS 8
static char *plan[MAX_LINES][MAX_FIELDS];
static int nplan;

static void read_plan(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("open %s", path);
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0 && nplan < MAX_LINES) {
		line[strcspn(line, "\n")] = 0;
		int n = 0;
		for (char *s = strdup(line), *tok; n < MAX_FIELDS && (tok = strsep(&s, "\t"));)
			plan[nplan][n++] = strcmp(tok, "-") ? tok : NULL;
		nplan++;
	}
	fclose(f);
}

static const char *field(int i, int j) { return plan[i][j]; }
static int is(int i, const char *op) { return plan[i][0] && !strcmp(plan[i][0], op); }

/* ---- paths inside the root: openat2(RESOLVE_IN_ROOT), as src/runtime/root-dir.ts ---- */
static int rootfd = -1;

static int in_root(const char *path, int flags, int mode)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .mode = (uint64_t)mode, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	while (*path == '/')
		path++;
	return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
}

static const char *fdpath(int fd)
{
	static char buf[8][64];
	static int k;
	char *b = buf[k++ & 7];
	snprintf(b, 64, "/proc/self/fd/%d", fd);
	return b;
}

/* mkdir -p inside the root, one component at a time (root-dir.ts mkdirAll); an O_PATH fd. */
static int mkdir_all(const char *path)
{
	int fd = in_root(path, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0)
		return fd;
	char buf[512], *p = buf;
	snprintf(buf, sizeof buf, "%s", path);
	int dir = in_root("/", O_PATH | O_DIRECTORY, 0);
	for (char *c; (c = strsep(&p, "/"));) {
		if (!*c)
			continue;
		struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
		int next = (int)syscall(SYS_openat2, dir, c, &how, sizeof how);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(dir, c, 0755) < 0 && errno != EEXIST)
				die("mkdir %s", path);
			next = (int)syscall(SYS_openat2, dir, c, &how, sizeof how);
		}
		if (next < 0)
			die("open %s", path);
		close(dir);
		dir = next;
	}
	return dir;
}

static int ensure_file(const char *path)
{
	int fd = in_root(path, O_PATH, 0);
	if (fd >= 0)
		return fd;
	char dir[512];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	*slash = 0;
	close(mkdir_all(dir));
	int w = in_root(path, O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK | O_NOFOLLOW, 0644);
	if (w < 0)
		die("create %s", path);
	close(w);
	return in_root(path, O_PATH | O_NOFOLLOW, 0);
}

/* rm -r of a volatile overlay's mark: a directory of files (overlay.ts clearVolatileMark). */
static void remove_mark(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return;
		die("open %s", dir);
	}
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && unlinkat(dirfd(d), e->d_name, 0) < 0)
			die("unlink %s/%s", dir, e->d_name);
	closedir(d);
	if (rmdir(dir) < 0)
		die("rmdir %s", dir);
}

static void must_mount(const char *src, const char *target, const char *type, unsigned long flags, const char *data)
{
	if (mount(src, target, type, flags, data) < 0)
		die("mount %s on %s (%s)", src ? src : "-", target, type ? type : "-");
}

/* ---- the gate: PID 1 ---- */
enum { MSG_MOUNT = 'M', MSG_CGROUPNS = 'C', MSG_GO = 'G', MSG_OK = 'K', MSG_ERR = 'E', MSG_PID = 'P' };

static void gate(int ctl)
{
	char buf[8192];
	for (;;) {
		ssize_t n = read(ctl, buf, sizeof buf - 1);
		if (n <= 0)
			_exit(1);
		buf[n] = 0;
		int ok = 0;
		if (buf[0] == MSG_MOUNT) {
			char *f[5], *p = buf + 1;
			for (int i = 0; i < 5; i++) {
				f[i] = p;
				p += strlen(p) + 1;
			}
			ok = mount(f[0], f[1], f[2], strtoul(f[3], NULL, 10), *f[4] ? f[4] : NULL);
		} else if (buf[0] == MSG_CGROUPNS) {
			ok = unshare(CLONE_NEWCGROUP);
		} else if (buf[0] == MSG_GO) {
			break;
		}
		char ans = ok < 0 ? MSG_ERR : MSG_OK;
		if (write(ctl, &ans, 1) != 1)
			_exit(1);
	}
	/* The process: bounding set, seccomp filter, execve (process.c's order without no_new_privs). */
	for (int i = 0; i < nplan; i++) {
		if (is(i, "capbset")) {
			unsigned long long keep = strtoull(field(i, 1), NULL, 16);
			for (int cap = 0; cap <= 40; cap++)
				if (!(keep & (1ULL << cap)))
					prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
		}
	}
	for (int i = 0; i < nplan; i++) {
		if (!is(i, "seccomp"))
			continue;
		const char *hex = field(i, 1);
		size_t len = strlen(hex) / 16;
		struct sock_filter *prog = calloc(len, sizeof *prog);
		for (size_t k = 0; k < len; k++) {
			unsigned char b[8];
			for (int j = 0; j < 8; j++)
				sscanf(hex + k * 16 + j * 2, "%2hhx", &b[j]);
			memcpy(&prog[k], b, 8);
		}
		struct sock_fprog fprog = { .len = (unsigned short)len, .filter = prog };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)strtoul(field(i, 2), NULL, 10), &fprog) < 0)
			_exit(2);
	}
	for (int i = 0; i < nplan; i++) {
		if (is(i, "exec")) {
			char *argv[] = { (char *)field(i, 1), NULL };
			char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
			execve(field(i, 1), argv, envp);
			_exit(127);
		}
	}
	_exit(0);
}

/* The shim: PID 1's parent. It reports PID 1's end on `ex` (tocker's exit socket) before it exits
 * itself: its exit tears down the mount namespace, after the report, as in tocker. */
/* fork(), or with a cgroup fd, clone3 straight into that cgroup (Linux 5.7+): no later move. */
static pid_t fork_into(int cgroup_fd)
{
	if (cgroup_fd < 0)
		return fork();
	struct clone_args a = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroup_fd };
	return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

static int cgroup_fd = -1;

static void shim(int ctl, int ex)
{
	if (unshare(CLONE_NEWPID) < 0)
		die("unshare CLONE_NEWPID");
	pid_t pid = fork_into(cgroup_fd);
	if (pid < 0)
		die("fork");
	if (pid == 0)
		gate(ctl);
	char msg[32];
	int len = snprintf(msg, sizeof msg, "%c%d", MSG_PID, pid);
	if (write(ctl, msg, (size_t)len) != len)
		_exit(1);
	close(ctl);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	unsigned char code = (unsigned char)(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (write(ex, &code, 1) != 1)
		_exit(1);
	_exit(code);
}

/* ---- Node's main thread ---- */
static int ctl = -1;
static pid_t gate_pid;
static int pending;
static double gate_wait;

static void expect_pid(void)
{
	if (gate_pid)
		return;
	char buf[32];
	double t = now_ms();
	ssize_t n = read(ctl, buf, sizeof buf - 1);
	gate_wait += now_ms() - t;
	if (n <= 0 || buf[0] != MSG_PID)
		die("the shim's pid");
	buf[n] = 0;
	gate_pid = atoi(buf + 1);
}

static void flush(void)
{
	double t = now_ms();
	while (pending) {
		char buf[32];
		ssize_t n = read(ctl, buf, sizeof buf);
		if (n <= 0)
			die("the gate's answer");
		if (buf[0] == MSG_PID) {
			buf[n] = 0;
			gate_pid = atoi(buf + 1);
			continue;
		}
		if (buf[0] == MSG_ERR) {
			errno = EIO;
			die("a mount by PID 1");
		}
		pending--;
	}
	gate_wait += now_ms() - t;
}

static void send_req(const char *msg, size_t len)
{
	if (write(ctl, msg, len) != (ssize_t)len)
		die("write to the gate");
	pending++;
}

static void propagate(const char *dest, const char *prop)
{
	if (!prop)
		return;
	int top = in_root(dest, O_PATH, 0);
	must_mount(NULL, fdpath(top), NULL, strtoul(prop, NULL, 10), NULL);
	close(top);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: create-floor PLAN\n");
		return 2;
	}
	read_plan(argv[1]);
	const char *cgroup = NULL, *rootfs = NULL;
	int at_fork = 0;
	for (int i = 0; i < nplan; i++) {
		if (is(i, "cgroup"))
			cgroup = field(i, 1);
		if (is(i, "cgroup-at-fork"))
			at_fork = 1;
		if (is(i, "overlay"))
			rootfs = field(i, 1);
	}
	if (!rootfs) {
		errno = EINVAL;
		die("no overlay line in the plan");
	}
	double t0 = now_ms(), t;
	/* 1. the cgroup (runtime/cgroup.ts), a volatile overlay's mark, the namespaces to come home to */
	if (cgroup && mkdir(cgroup, 0755) < 0)
		die("mkdir %s", cgroup);
	if (cgroup && at_fork && (cgroup_fd = open(cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0)
		die("open %s", cgroup);
	for (int i = 0; i < nplan; i++)
		if (is(i, "unmark"))
			remove_mark(field(i, 1));
	const char *nsnames[] = { "net", "ipc", "uts", "mnt" };
	int nstypes[] = { CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNS };
	int saved[4];
	for (int i = 0; i < 4; i++) {
		char p[64];
		snprintf(p, sizeof p, "/proc/self/ns/%s", nsnames[i]);
		if ((saved[i] = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			die("open %s", p);
	}
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	double m_pre = now_ms() - t0;

	/* 2. new mount, UTS, IPC and network namespaces for this thread */
	t = now_ms();
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) < 0)
		die("unshare");
	double m_unshare = now_ms() - t;

	/* 3. the shim, which forks PID 1 in a new PID namespace */
	t = now_ms();
	int sp[2], ex[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ex) < 0)
		die("socketpair");
	pid_t shim_pid = fork();
	if (shim_pid < 0)
		die("fork");
	if (shim_pid == 0) {
		close(sp[0]);
		close(ex[0]);
		shim(sp[1], ex[1]);
	}
	close(sp[1]);
	close(ex[1]);
	ctl = sp[0];
	double m_spawn = now_ms() - t;

	/* 4. / private, the hostname, the root filesystem */
	t = now_ms();
	must_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	for (int i = 0; i < nplan; i++)
		if (is(i, "hostname") && sethostname(field(i, 1), strlen(field(i, 1))) < 0)
			die("sethostname");
	for (int i = 0; i < nplan; i++)
		if (is(i, "overlay"))
			must_mount("overlay", rootfs, "overlay", MS_NODEV, field(i, 2));
	if ((rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("open %s", rootfs);
	double m_rootfs = now_ms() - t;

	/* 5. the spec's mounts, in order; proc and cgroup2 by PID 1 */
	t = now_ms();
	int joined = 0;
	for (int i = 0; i < nplan; i++) {
		if (is(i, "mount")) {
			const char *type = field(i, 1), *src = field(i, 2), *dest = field(i, 3), *data = field(i, 5);
			unsigned long flags = strtoul(field(i, 4), NULL, 10);
			int target = mkdir_all(dest);
			if (!strcmp(type, "proc") || !strcmp(type, "cgroup2")) {
				if (!strcmp(type, "cgroup2") && !joined) {
					expect_pid();
					if (cgroup && !at_fork) {
						char procs[512], pid[16];
						snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup);
						int fd = open(procs, O_WRONLY | O_CLOEXEC);
						int len = snprintf(pid, sizeof pid, "%d", gate_pid);
						if (fd < 0 || write(fd, pid, (size_t)len) != len)
							die("join %s", procs);
						close(fd);
					}
					char c = MSG_CGROUPNS;
					send_req(&c, 1);
					joined = 1;
				}
				char msg[1024];
				int len = snprintf(msg, sizeof msg, "%c%s%c/proc/%d/fd/%d%c%s%c%lu%c%s%c", MSG_MOUNT, src, 0, getpid(), target, 0, type, 0, flags, 0, data ? data : "", 0);
				send_req(msg, (size_t)len);
				flush();
			} else {
				must_mount(src, fdpath(target), type, flags, data);
			}
			close(target);
			propagate(dest, field(i, 6));
		} else if (is(i, "bind")) {
			const char *src = field(i, 1), *dest = field(i, 2), *extra = field(i, 5);
			struct stat st;
			if (stat(src, &st) < 0)
				die("stat %s", src);
			int target = S_ISDIR(st.st_mode) ? mkdir_all(dest) : ensure_file(dest);
			must_mount(src, fdpath(target), NULL, MS_BIND | (strcmp(field(i, 3), "0") ? MS_REC : 0), NULL);
			close(target);
			if (!strcmp(field(i, 4), "1") || (extra && strcmp(extra, "0"))) {
				int top = in_root(dest, O_PATH, 0);
				if (!strcmp(field(i, 4), "1")) {
					struct mount_attr attr = { .attr_set = MOUNT_ATTR_NODEV };
					if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | (S_ISDIR(st.st_mode) && strcmp(field(i, 3), "0") ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
						die("mount_setattr %s", dest);
				}
				if (extra && strcmp(extra, "0"))
					must_mount(NULL, fdpath(top), NULL, strtoul(extra, NULL, 10) | MS_BIND | MS_REMOUNT | MS_NODEV, NULL);
				close(top);
			}
			propagate(dest, field(i, 6));
		}
	}
	double m_mounts = now_ms() - t;

	/* 6. /dev: nodes (each a bind mount of itself without nodev), symlinks */
	t = now_ms();
	char devnull[128] = "/dev/null";
	int dev = -1;
	for (int i = 0; i < nplan; i++) {
		if (is(i, "device")) {
			const char *path = field(i, 1);
			char dir[256];
			snprintf(dir, sizeof dir, "%s", path);
			*strrchr(dir, '/') = 0;
			if (dev < 0)
				dev = mkdir_all(dir);
			char node[128];
			snprintf(node, sizeof node, "%s/%s", fdpath(dev), strrchr(path, '/') + 1);
			mode_t mode = (mode_t)strtoul(field(i, 2), NULL, 8);
			if (mknod(node, S_IFCHR | mode, makedev(atoi(field(i, 3)), atoi(field(i, 4)))) < 0)
				die("mknod %s", node);
			if (chmod(node, mode) < 0)
				die("chmod %s", node);
			must_mount(node, node, NULL, MS_BIND, NULL);
			must_mount(NULL, node, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NOEXEC, NULL);
			if (!strcmp(path, "/dev/null"))
				snprintf(devnull, sizeof devnull, "%s", node);
		} else if (is(i, "symlink") || is(i, "ptmx")) {
			if (dev < 0)
				dev = mkdir_all("/dev");
			char link[128];
			if (is(i, "ptmx")) {
				snprintf(link, sizeof link, "%s/ptmx", fdpath(dev));
				unlink(link);
				if (symlink("pts/ptmx", link) < 0)
					die("symlink %s", link);
			} else {
				snprintf(link, sizeof link, "%s/%s", fdpath(dev), field(i, 2));
				if (symlink(field(i, 1), link) < 0 && errno != EEXIST)
					die("symlink %s", link);
			}
		}
	}
	double m_dev = now_ms() - t;

	/* 7. the user's name (/etc/passwd, /etc/group inside the root), PID 1 ready */
	t = now_ms();
	for (int i = 0; i < nplan; i++) {
		if (!is(i, "passwd"))
			continue;
		const char *files[] = { "/etc/passwd", "/etc/group" };
		for (int k = 0; k < 2; k++) {
			int fd = in_root(files[k], O_RDONLY, 0);
			char buf[16384];
			if (fd >= 0) {
				while (read(fd, buf, sizeof buf) > 0)
					;
				close(fd);
			}
		}
	}
	expect_pid();
	flush();
	double m_user = now_ms() - t;

	/* 8. masked and read-only paths */
	t = now_ms();
	for (int i = 0; i < nplan; i++) {
		if (is(i, "mask")) {
			int fd = in_root(field(i, 1), O_PATH, 0);
			if (fd < 0)
				continue;
			struct stat st;
			fstat(fd, &st);
			if (S_ISDIR(st.st_mode))
				must_mount("tmpfs", fdpath(fd), "tmpfs", MS_RDONLY | MS_NODEV, NULL);
			else
				must_mount(devnull, fdpath(fd), NULL, MS_BIND, NULL);
			close(fd);
		} else if (is(i, "readonly")) {
			int fd = in_root(field(i, 1), O_PATH, 0);
			if (fd < 0)
				continue;
			must_mount(fdpath(fd), fdpath(fd), NULL, MS_BIND | MS_REC, NULL);
			int top = in_root(field(i, 1), O_PATH, 0);
			struct statvfs sv;
			fstatvfs(top, &sv);
			unsigned long kept = (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) | (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
			must_mount(NULL, fdpath(top), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept, NULL);
			close(top);
			close(fd);
		}
	}
	double m_masks = now_ms() - t;

	/* 9. pivot_root(".", "."), the old root detached */
	t = now_ms();
	if (dev >= 0)
		close(dev);
	close(rootfd);
	int nr = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nr < 0 || fchdir(nr) < 0)
		die("fchdir %s", rootfs);
	close(nr);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("pivot_root");
	must_mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL);
	if (umount2(".", MNT_DETACH) < 0)
		die("umount2");
	if (chdir("/") < 0)
		die("chdir /");
	double m_pivot = now_ms() - t;

	/* 10. home again */
	t = now_ms();
	for (int i = 0; i < 4; i++) {
		if (setns(saved[i], nstypes[i]) < 0)
			die("setns %s", nsnames[i]);
		close(saved[i]);
	}
	if (fchdir(cwd) < 0)
		die("fchdir");
	double m_home = now_ms() - t;
	double m_create = now_ms() - t0;

	/* 11. start: PID 1 execs the program; its end noticed (the shim's report on the exit socket) */
	t = now_ms();
	char go = MSG_GO;
	if (write(ctl, &go, 1) != 1)
		die("go");
	unsigned char code = 255;
	if (read(ex[0], &code, 1) != 1 || code != 0) {
		errno = 0;
		die("PID 1 exited with status %d", code);
	}
	double m_run = now_ms() - t;
	/* The shim's exit, with it the mount namespace's teardown (off tocker's path: nobody waits) */
	t = now_ms();
	int status;
	while (waitpid(shim_pid, &status, 0) < 0 && errno == EINTR)
		;
	double m_teardown = now_ms() - t;

	/* 12. delete: the cgroup (the namespaces and mounts went with their last process) */
	t = now_ms();
	close(ctl);
	if (cgroup_fd >= 0)
		close(cgroup_fd);
	if (cgroup && rmdir(cgroup) < 0)
		die("rmdir %s", cgroup);
	double m_delete = now_ms() - t;

	printf("{\"pre\":%.3f,\"unshare\":%.3f,\"spawn\":%.3f,\"rootfs\":%.3f,\"mounts\":%.3f,\"dev\":%.3f,\"user\":%.3f,\"masks\":%.3f,\"pivot\":%.3f,\"home\":%.3f,"
	       "\"gateWait\":%.3f,\"create\":%.3f,\"run\":%.3f,\"teardown\":%.3f,\"delete\":%.3f}\n",
	       m_pre, m_unshare, m_spawn, m_rootfs, m_mounts, m_dev, m_user, m_masks, m_pivot, m_home, gate_wait, m_create, m_run, m_teardown, m_delete);
	return 0;
}
