/*
 * channel.c: messages on the control socket and on the start socket (see shim.h for the protocol).
 */
#define _GNU_SOURCE
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
	snprintf(buf, cap, "%s", strerror(err));
	if (buf[0])
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}
