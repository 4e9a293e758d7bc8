/*
 * hooks.c: OCI hooks that must run *inside* the container's namespaces, so the gate runs them:
 *   createContainer  after the mounts, before pivot_root (its path resolves on the host's root,
 *                    which the container's mount namespace still shows then), as root;
 *   startContainer   after `start`, right before the user's program (its path resolves in the
 *                    container's root), as the container's user, as runc does.
 * prestart, createRuntime, poststart and poststop run in the runtime's own namespaces: Node runs
 * those (src/runtime/hooks.ts), with the same rules and words.
 *
 * Each hook: fork, the container's state JSON on its stdin, stdout and stderr captured (the first
 * 4 KiB of each go into the error message), an optional timeout after which it is SIGKILLed.
 * A failure is worded as runc's: "error running createContainer hook #0: exit status 1, stdout: …,
 * stderr: …" or "… hook ran past specified timeout of 2.0s".
 *
 * Encoding (tag byte + NUL-terminated value, as the process spec in process.c):
 *   h <timeout seconds, 0 = none>   starts a hook      j <path>
 *   J <arg> (repeated: argv, argv[0] included)         V <NAME=value> (repeated: its environment)
 *   X <state JSON> (once; what every hook of the list reads on stdin)
 */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CAPTURE 4096

struct hook {
	int timeout;
	char *path;
	char **argv;
	size_t argc;
	char **env;
	size_t envc;
};

struct hook_list {
	const char *name;
	const char *state;
	struct hook *h;
	size_t n;
};

struct hook_list *hooks_new(const char *name)
{
	struct hook_list *l = calloc(1, sizeof *l);
	if (l) {
		l->name = name;
		l->state = "";
	}
	return l;
}

int hooks_field(struct hook_list *l, char tag, char *val)
{
	struct hook *cur = l->n ? &l->h[l->n - 1] : NULL;
	switch (tag) {
	case 'h': {
		struct hook *grown = realloc(l->h, (l->n + 1) * sizeof *grown);
		if (!grown)
			return -1;
		l->h = grown;
		memset(&l->h[l->n], 0, sizeof *l->h);
		l->h[l->n++].timeout = atoi(val);
		return 1;
	}
	case 'X':
		l->state = val;
		return 1;
	case 'j':
	case 'J':
	case 'V':
		if (!cur)
			return 0;
		if (tag == 'j')
			cur->path = val;
		else if (strv_push(tag == 'J' ? &cur->argv : &cur->env, tag == 'J' ? &cur->argc : &cur->envc, val) < 0)
			return -1;
		return 1;
	}
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append what can be read from fd to buf (kept to CAPTURE bytes); 0 at end of file. */
static int drain(int fd, char *buf, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof tmp);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	size_t take = (size_t)n < CAPTURE - *len ? (size_t)n : CAPTURE - *len;
	memcpy(buf + *len, tmp, take);
	*len += take;
	return 1;
}

/* Write the state to the hook's stdin; a hook that does not read it (EPIPE) is no error. */
static void feed(int fd, const char *state)
{
	sigset_t pipe_only, old;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	/* SIGPIPE blocked, not ignored: an ignored disposition would survive into the user's
	 * program's execve, a blocked pending one is taken back below. */
	sigprocmask(SIG_BLOCK, &pipe_only, &old);
	for (size_t off = 0, len = strlen(state); off < len;) {
		ssize_t n = write(fd, state + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_only, NULL, &zero) == SIGPIPE)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd);
}

/* One hook; 0, or -1 with the reason (without runc's "error running … hook #i: " prefix). */
static int run_one(const struct hook *h, const char *state, char *msg, size_t cap)
{
	int in[2], out[2], err[2], ex[2];
	char why[128];
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
		snprintf(msg, cap, "pipe: %s", go_strerror(errno, why, sizeof why));
		return -1;
	}
	char *argv0[] = { h->path, NULL };
	char *env0[] = { NULL };
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(msg, cap, "fork: %s", go_strerror(errno, why, sizeof why));
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		/* Only stdio and the exec-error pipe (close-on-exec) reach the hook. */
		if (ex[1] != 3) {
			dup2(ex[1], 3);
			fcntl(3, F_SETFD, FD_CLOEXEC);
		}
		syscall(SYS_close_range, 4, ~0U, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(h->path, h->argc ? h->argv : argv0, h->envc ? h->env : env0);
		int e = errno;
		if (write(3, &e, sizeof e) < 0) {
		}
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(ex[1]);
	int exec_errno = 0;
	ssize_t got = read(ex[0], &exec_errno, sizeof exec_errno);
	close(ex[0]);
	if (got == (ssize_t)sizeof exec_errno) {
		close(in[1]);
		close(out[0]);
		close(err[0]);
		waitpid(pid, NULL, 0);
		/* Go's exec.Cmd.Start error. */
		snprintf(msg, cap, "fork/exec %s: %s", h->path, go_strerror(exec_errno, why, sizeof why));
		return -1;
	}
	feed(in[1], state);
	char obuf[CAPTURE + 1], ebuf[CAPTURE + 1];
	size_t olen = 0, elen = 0;
	int open_fds = 2;
	struct pollfd p[2] = { { .fd = out[0], .events = POLLIN }, { .fd = err[0], .events = POLLIN } };
	long deadline = h->timeout > 0 ? now_ms() + (long)h->timeout * 1000 : 0;
	int timed_out = 0;
	while (open_fds > 0) {
		int wait = deadline ? (int)(deadline - now_ms()) : -1;
		if (deadline && wait <= 0) {
			timed_out = 1;
			break;
		}
		int r = poll(p, 2, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (!drain(p[i].fd, i ? ebuf : obuf, i ? &elen : &olen)) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	int status = 0;
	if (timed_out) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(msg, cap, "hook ran past specified timeout of %.1fs", (double)h->timeout);
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	obuf[olen] = 0;
	ebuf[elen] = 0;
	char what[64];
	if (WIFSIGNALED(status))
		snprintf(what, sizeof what, "signal: %s", strsignal(WTERMSIG(status)));
	else
		snprintf(what, sizeof what, "exit status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status) && what[8])
		what[8] = (char)(what[8] | 0x20); /* Go says "signal: killed" */
	snprintf(msg, cap, "%s, stdout: %s, stderr: %s", what, obuf, ebuf);
	return -1;
}

int hooks_run(const struct hook_list *l, char *msg, size_t cap)
{
	for (size_t i = 0; i < l->n; i++) {
		char reason[3 * CAPTURE];
		if (!l->h[i].path) {
			snprintf(msg, cap, "error running %s hook #%zu: no path", l->name, i);
			return -1;
		}
		if (run_one(&l->h[i], l->state, reason, sizeof reason) < 0) {
			snprintf(msg, cap, "error running %s hook #%zu: %s", l->name, i, reason);
			return -1;
		}
	}
	return 0;
}
