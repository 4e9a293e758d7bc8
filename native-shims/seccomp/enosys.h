/*
 * enosys.h: runc's ENOSYS stub in front of a seccomp BPF program (enosys.c), used by compile.c.
 */
#ifndef TOCKER_SECCOMP_ENOSYS_H
#define TOCKER_SECCOMP_ENOSYS_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A new program (malloc'd; *len its instructions): the stub for `arches` (the native one first),
 * whose highest known numbers come from the rules' `names`, followed by `orig` unchanged. Without
 * any architecture to stub, a copy of `orig`. NULL when out of memory or with too many architectures.
 */
struct sock_filter *enosys_stub_prepend(const uint32_t *arches, size_t narches, const struct sock_filter *orig, size_t norig, char **names, size_t nnames, size_t *len);

#endif
