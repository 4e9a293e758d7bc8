/*
 * probe.c: the attacker's side of test/security/escape.test.ts, compiled statically and put into
 * a hostile image. It runs as the container's process and, for a bounded time, keeps looking at
 * every other process of its PID namespace (the helper that `tocker exec` places there, and the
 * programs it becomes) and tries to reach the host through it:
 *   /proc/<pid>/exe   opened for writing (CVE-2019-5736: overwrite the host's helper binary) and
 *                     for reading; a success on anything but the image's own programs is a leak,
 *                     and ETXTBSY on the helper means only "busy" stood between us and its binary;
 *   /proc/<pid>/root, /proc/<pid>/cwd   opened and entered: a directory outside our root (getcwd
 *                     says "(unreachable)") is the host;
 *   /proc/<pid>/fd/N  of a process whose exe we were refused (the helper): any fd we can open.
 * Usage: probe MILLISECONDS [STOPFILE]. Prints one line of counts at the end:
 *   probe rounds=R helper=H exe_write_ok=.. exe_write_etxtbsy=.. exe_read_ok=.. host_exe=.. outside_root=.. fd_open_ok=..
 * ("helper": sightings of a process whose /proc/<pid>/exe we were refused, i.e. not one of ours;
 * "host_exe": an exe we could open that is neither ours nor a sealed memfd: a file of the host.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct stat own[2]; /* the image's programs: /bin/busybox and this probe */
static long helper, w_ok, w_txtbsy, r_ok, host_exe, outside, fd_ok;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_own(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return 0;
	for (int i = 0; i < 2; i++)
		if (st.st_dev == own[i].st_dev && st.st_ino == own[i].st_ino)
			return 1;
	return 0;
}

/* Enter dir fd and ask the kernel where we are: "(unreachable)" or ENOENT = outside our root. */
static int outside_root(int dfd)
{
	char buf[4096];
	if (fchdir(dfd) < 0)
		return 0;
	long n = syscall(SYS_getcwd, buf, sizeof buf);
	int out = (n < 0 && errno == ENOENT) || (n > 0 && buf[0] != '/');
	if (chdir("/") < 0)
		exit(3);
	return out;
}

static void look_at(const char *pid)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%s/exe", pid);
	int ours = -1; /* 1: one of the image's programs, 0: something else (the helper) */
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ours = is_own(fd);
		if (!ours) {
			r_ok++;
			/* A sealed memfd (what the helper should run from) cannot be changed by anyone;
			 * anything else is a file of the host's. */
			int seals = fcntl(fd, F_GET_SEALS);
			if (seals < 0 || !(seals & F_SEAL_WRITE))
				host_exe++;
		}
		close(fd);
	} else if (errno == EACCES || errno == EPERM) {
		ours = 0;
		helper++;
	}
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		w_ok++;
		close(fd);
	} else if (errno == ETXTBSY) {
		/* Busy: legitimate for our own running programs. Whose was it? (If the process is gone
		 * meanwhile, nobody can tell: not counted.) */
		int again = open(p, O_RDONLY | O_CLOEXEC);
		if (again >= 0) {
			if (!is_own(again))
				w_txtbsy++;
			close(again);
		} else if (errno == EACCES || errno == EPERM) {
			w_txtbsy++;
		}
	}
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "/proc/%s/%s", pid, i ? "cwd" : "root");
		int d = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d >= 0) {
			if (outside_root(d))
				outside++;
			close(d);
		}
	}
	if (ours != 0)
		return; /* one of ours, or gone (a process that exits loses its exe before its fds) */
	snprintf(p, sizeof p, "/proc/%s/fd", pid);
	DIR *fds = opendir(p);
	if (!fds)
		return;
	struct dirent *e;
	long opened = 0;
	while ((e = readdir(fds))) {
		if (e->d_name[0] == '.')
			continue;
		char q[300];
		snprintf(q, sizeof q, "/proc/%s/fd/%s", pid, e->d_name);
		int f = open(q, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (f >= 0) {
			opened++;
			struct stat st;
			if (fstat(f, &st) == 0 && S_ISDIR(st.st_mode) && outside_root(f))
				outside++;
			close(f);
		}
	}
	closedir(fds);
	/* The helper only ever becomes one of our programs: if it is one now, the fds may have been
	 * the program's (it exec'd meanwhile). Still refused: they were the helper's. */
	if (opened) {
		snprintf(p, sizeof p, "/proc/%s/exe", pid);
		int again = open(p, O_RDONLY | O_CLOEXEC);
		if (again < 0 ? errno == EACCES || errno == EPERM : !is_own(again))
			fd_ok += opened;
		if (again >= 0)
			close(again);
	}
}

int main(int argc, char **argv)
{
	long limit = argc > 1 ? atol(argv[1]) : 5000;
	const char *stop = argc > 2 ? argv[2] : NULL;
	if (stat("/bin/busybox", &own[0]) < 0 || stat("/proc/self/exe", &own[1]) < 0) {
		perror("probe: stat");
		return 2;
	}
	char self[16];
	snprintf(self, sizeof self, "%d", getpid());
	long start = now_ms(), rounds = 0;
	while (now_ms() - start < limit && !(stop && access(stop, F_OK) == 0)) {
		DIR *proc = opendir("/proc");
		if (!proc) {
			perror("probe: /proc");
			return 2;
		}
		struct dirent *e;
		while ((e = readdir(proc)))
			if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && strcmp(e->d_name, self) != 0)
				look_at(e->d_name);
		closedir(proc);
		rounds++;
	}
	printf("probe rounds=%ld helper=%ld exe_write_ok=%ld exe_write_etxtbsy=%ld exe_read_ok=%ld host_exe=%ld outside_root=%ld fd_open_ok=%ld\n", rounds,
	       helper, w_ok, w_txtbsy, r_ok, host_exe, outside, fd_ok);
	return 0;
}
