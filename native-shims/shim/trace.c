/*
 * trace.c: the shim's own steps, reported to the runtime for `tocker --explain`.
 *
 * The most instructive steps of starting a container happen here, not in Node: the PID namespace
 * (unshare + fork: where "PID 1" comes from), /proc mounted by PID 1, the capability drop, the
 * seccomp filter, the user switch, execve. The runtime passes `--trace 1` only when somebody is
 * listening; otherwise every trace_step() returns at its first instruction.
 *
 * A report is one message on the channel the step's answer goes to (shim.h: T):
 *   T <op> \0 <detail> \0 <result> \0 <errno> \0 <microseconds> \0 <who>
 * On the control socket (SOCK_SEQPACKET) one send() is one message. The start socket is a stream,
 * so there each report is framed: 'T', 8 hex digits of length, the payload (channel.c's E message
 * stays unframed: it is always the last thing said on that connection).
 */
#define _GNU_SOURCE
#include "errno-text.h"
#include "shim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int enabled;
static int trace_fd = -1;
static int framed;
static const char *actor = "shim";

void trace_enable(int on)
{
	enabled = on;
}

int trace_on(void)
{
	return enabled && trace_fd >= 0;
}

void trace_to(int fd, int stream)
{
	trace_fd = fd;
	framed = stream;
}

void trace_fd_moved(int from, int to)
{
	if (trace_fd == from)
		trace_fd = to;
}

void trace_actor(const char *who)
{
	actor = who;
}

uint64_t trace_clock(void)
{
	if (!enabled)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Append a NUL-terminated field; returns the new length (never past cap). */
static size_t field(char *buf, size_t len, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (len + n + 1 > cap)
		n = cap > len + 1 ? cap - len - 1 : 0;
	memcpy(buf + len, s, n);
	buf[len + n] = 0;
	return len + n + 1;
}

void trace_step(uint64_t start, const char *op, int err, const char *result, const char *fmt, ...)
{
	if (!trace_on())
		return;
	int saved_errno = errno;
	char detail[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	char res[256], why[128], num[2][32];
	if (!result) {
		if (err)
			snprintf(res, sizeof res, "%s (%s)", errno_name(err) ? errno_name(err) : "error", go_strerror(err, why, sizeof why));
		else
			snprintf(res, sizeof res, "ok");
		result = res;
	}
	snprintf(num[0], sizeof num[0], "%d", err);
	snprintf(num[1], sizeof num[1], "%llu", start ? (unsigned long long)((trace_clock() - start) / 1000) : 0ull);
	char msg[4096];
	size_t len = 0;
	len = field(msg, len, sizeof msg, op);
	len = field(msg, len, sizeof msg, detail);
	len = field(msg, len, sizeof msg, result);
	len = field(msg, len, sizeof msg, num[0]);
	len = field(msg, len, sizeof msg, num[1]);
	len = field(msg, len, sizeof msg, actor);
	if (!framed) {
		send_msg(trace_fd, MSG_TRACE, msg, len);
	} else {
		char head[10];
		snprintf(head, sizeof head, "%c%08zx", MSG_TRACE, len);
		char out[sizeof head + sizeof msg];
		memcpy(out, head, 9);
		memcpy(out + 9, msg, len);
		ssize_t n;
		do
			n = send(trace_fd, out, 9 + len, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
	}
	errno = saved_errno;
}
