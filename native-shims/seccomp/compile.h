/*
 * compile.h: the seccomp compiler's interface (compile.c), used by main.c.
 */
#ifndef TOCKER_SECCOMP_COMPILE_H
#define TOCKER_SECCOMP_COMPILE_H

#include <linux/filter.h>
#include <stddef.h>

struct seccomp_spec;
/* One field: z (default action), Z (architecture), f (flag), y (rule); see main.c. */
int seccomp_field(struct seccomp_spec **s, char tag, char *val, char *err, size_t cap);
/* libseccomp → a BPF program in memory, with the ENOSYS stub in front. */
int seccomp_build_filter(struct seccomp_spec *s, char *err, size_t cap);
const struct sock_fprog *seccomp_program(const struct seccomp_spec *s);
/* SECCOMP_FILTER_FLAG_* for seccomp(2), from the f fields. */
unsigned int seccomp_flags(const struct seccomp_spec *s);
/* Rules given to libseccomp, and names it could not resolve (skipped). */
size_t seccomp_rules_added(const struct seccomp_spec *s);
size_t seccomp_names_unknown(const struct seccomp_spec *s);

#endif
