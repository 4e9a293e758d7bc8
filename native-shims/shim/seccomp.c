/*
 * seccomp.c: load the container's system-call filter. The runtime compiled it beforehand (with
 * libseccomp, in native-shims/seccomp: see compile.c there for what the program does) and sends
 * it as one field of the process spec, "F <flags> <program in hex>"; process.c decides when it is
 * loaded. From the moment seccomp(2) returns, every system call of this process, and of every
 * process it will ever start, goes through the program: a filter cannot be removed.
 */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct seccomp_filter {
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
	struct sock_fprog prog;
};

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

struct seccomp_filter *parse_seccomp_filter(const char *val, char *err, size_t cap)
{
	char *end;
	unsigned long flags = strtoul(val, &end, 10);
	if (*end != ' ') {
		snprintf(err, cap, "seccomp: malformed filter field");
		return NULL;
	}
	const char *hex = end + 1;
	size_t len = strlen(hex), bytes = len / 2, insns = bytes / sizeof(struct sock_filter);
	struct seccomp_filter *f = calloc(1, sizeof *f);
	unsigned char *buf = malloc(bytes ? bytes : 1);
	if (!f || !buf) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	if (len % (2 * sizeof(struct sock_filter)) || insns == 0 || insns > BPF_MAXINSNS) {
		snprintf(err, cap, "seccomp: the filter program has a wrong length (%zu hex digits)", len);
		return NULL;
	}
	for (size_t i = 0; i < bytes; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, cap, "seccomp: the filter program is not hex");
			return NULL;
		}
		buf[i] = (unsigned char)(hi << 4 | lo);
	}
	f->flags = (unsigned int)flags;
	f->prog.len = (unsigned short)insns;
	f->prog.filter = (struct sock_filter *)buf;
	return f;
}

unsigned int seccomp_filter_length(const struct seccomp_filter *f)
{
	return f->prog.len;
}

int load_seccomp_filter(const struct seccomp_filter *f)
{
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &f->prog);
}
