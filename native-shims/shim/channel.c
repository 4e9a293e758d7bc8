/*
 * channel.c: messages on the control socket and on the start socket (see shim.h for the protocol).
 */
#define _GNU_SOURCE
#include "errno-text.h"
#include "shim.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t recv_msg(int fd, char *buf, size_t cap)
{
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}

int send_msg(int fd, char type, const char *payload, size_t len)
{
	char *msg = malloc(len + 1);
	if (!msg)
		return -1;
	msg[0] = type;
	if (len)
		memcpy(msg + 1, payload, len);
	ssize_t n;
	do
		n = send(fd, msg, len + 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	free(msg);
	return n < 0 ? -1 : 0;
}

int send_ok(int fd)
{
	return send_msg(fd, MSG_OK, NULL, 0);
}

int send_error(int fd, int err, int exit_code, const char *fmt, ...)
{
	char payload[4096];
	int head = snprintf(payload, sizeof payload, "%d%c%d%c", err, 0, exit_code, 0);
	va_list ap;
	va_start(ap, fmt);
	int body = vsnprintf(payload + head, sizeof payload - head, fmt, ap);
	va_end(ap);
	size_t len = head + (body < 0 ? 0 : (size_t)body);
	if (len >= sizeof payload)
		len = sizeof payload - 1;
	return send_msg(fd, MSG_ERROR, payload, len);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tocker-shim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

const char *go_strerror(int err, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", errno_text(err));
	if (buf[0])
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* Send fd over `sock` (SCM_RIGHTS) with body[0..len) as the message; 0, or -1 with errno. */
int send_fd(int sock, int fd, const char *body, size_t len)
{
	char control[CMSG_SPACE(sizeof(int))];
	memset(control, 0, sizeof control);
	struct iovec iov = { .iov_base = (void *)body, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

/* The fd carried by one message on `sock`, or -1 (end of file, or a message without one). */
int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}
