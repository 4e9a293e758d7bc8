/*
 * compile.c: the container's system-call filter (the OCI spec's linux.seccomp, as fields from the
 * runtime, see src/runtime/seccomp/filter.ts) compiled with libseccomp into the BPF program that
 * the gate loads with seccomp(2) just before the container's program runs (shim/seccomp.c).
 *
 * What a filter is: a small classic-BPF program the kernel runs on every system call the process
 * (and every child it will ever have) makes. It sees the architecture, the syscall number and the
 * six arguments as raw integers (never memory they point to) and answers ALLOW, ERRNO(n), KILL,
 * ... A filter can only be added, never removed: it outlives execve and is inherited by fork.
 *
 * libseccomp turns "allow socket if arg0 != AF_VSOCK" for every architecture of the profile
 * (x86_64, i386 and x32 programs all run on an x86_64 kernel, each with its own numbers) into
 * that program. One thing is added by hand, as runc does it: the ENOSYS stub (enosys.c).
 *
 * Why a helper of its own rather than the gate: compiling Docker's profile costs 10-70 ms here
 * (mostly libseccomp's BPF generation for three architectures; 2 CPUs, loaded), which would be paid
 * by every `run` and every `exec`. The runtime compiles each distinct filter once with this
 * program and keeps the result; the gate only loads it (seccomp(2): ~0.8 ms, measured in the gate).
 */
#define _GNU_SOURCE
#include "compile.h"
#include "enosys.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_ARCHES 8
#define MAX_ARGS 6 /* a syscall has at most six arguments */

struct seccomp_spec {
	uint32_t default_action;
	uint32_t arches[MAX_ARCHES];
	size_t narches;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	char **rules;       /* the 'y' fields, parsed at build time */
	size_t nrules;
	struct sock_fprog prog; /* the built program, once seccomp_build_filter ran */
	size_t rules_added;
	size_t names_unknown;
};

static const struct {
	const char *name;
	uint32_t action; /* without the errno */
} ACTIONS[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} OPS[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
	const char *name;
	unsigned int flag;
} FLAGS[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
};

/* "SCMP_ACT_ERRNO" + "1" → SCMP_ACT_ERRNO(1); ERRNO and TRACE without a value get EPERM, as in runc. */
static int parse_action(const char *name, const char *errno_ret, uint32_t *out)
{
	for (size_t i = 0; i < sizeof ACTIONS / sizeof *ACTIONS; i++) {
		if (strcmp(ACTIONS[i].name, name))
			continue;
		uint32_t act = ACTIONS[i].action;
		if (act == SCMP_ACT_ERRNO(0) || act == SCMP_ACT_TRACE(0))
			act |= (strcmp(errno_ret, "-") ? (uint32_t)strtoul(errno_ret, NULL, 10) : EPERM) & 0xffff;
		*out = act;
		return 0;
	}
	return -1;
}

int seccomp_field(struct seccomp_spec **sp, char tag, char *val, char *err, size_t cap)
{
	if (!*sp && !(*sp = calloc(1, sizeof **sp))) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	struct seccomp_spec *s = *sp;
	switch (tag) {
	case 'z': { /* default action: "<ACTION> <errno|->" */
		char name[32], errno_ret[16];
		if (sscanf(val, "%31s %15s", name, errno_ret) != 2 || parse_action(name, errno_ret, &s->default_action) < 0) {
			snprintf(err, cap, "seccomp: invalid default action %s", val);
			return -1;
		}
		return 0;
	}
	case 'Z': { /* an architecture: "SCMP_ARCH_X86_64" → libseccomp's "x86_64" */
		char lower[32];
		size_t n = 0;
		const char *p = strncmp(val, "SCMP_ARCH_", 10) ? val : val + 10;
		for (; p[n] && n < sizeof lower - 1; n++)
			lower[n] = (char)(p[n] >= 'A' && p[n] <= 'Z' ? p[n] - 'A' + 'a' : p[n]);
		lower[n] = 0;
		uint32_t arch = seccomp_arch_resolve_name(lower);
		if (!arch || s->narches == MAX_ARCHES) {
			snprintf(err, cap, "seccomp: string %s is not a valid arch for seccomp", val);
			return -1;
		}
		s->arches[s->narches++] = arch;
		return 0;
	}
	case 'f':
		for (size_t i = 0; i < sizeof FLAGS / sizeof *FLAGS; i++)
			if (!strcmp(FLAGS[i].name, val)) {
				s->flags |= FLAGS[i].flag;
				return 0;
			}
		snprintf(err, cap, "seccomp: flag %s is not supported", val);
		return -1;
	case 'y': { /* a rule, parsed when the filter is built */
		char **grown = realloc(s->rules, (s->nrules + 1) * sizeof *grown);
		if (!grown) {
			snprintf(err, cap, "out of memory");
			return -1;
		}
		s->rules = grown;
		s->rules[s->nrules++] = val;
		return 0;
	}
	}
	snprintf(err, cap, "seccomp: unknown field '%c'", tag);
	return -1;
}

struct rule {
	uint32_t action;
	const char *name;
	int nr; /* libseccomp's number on the native architecture (pseudo numbers < -1 for names
		 * that exist only elsewhere, such as i386's socketcall) */
	struct scmp_arg_cmp conds[MAX_ARGS];
	unsigned int nconds;
	int repeated; /* two conditions on one argument: one rule each (ORed), as runc does */
};

/* "<ACTION> <errno|-> <name> [<index> <OP> <value> <valueTwo>]..." (cut up in place). */
static int parse_rule(char *text, struct rule *r, char *err, size_t cap)
{
	char *save, *action = strtok_r(text, " ", &save), *errno_ret = strtok_r(NULL, " ", &save),
		    *name = strtok_r(NULL, " ", &save);
	if (!action || !errno_ret || !name || parse_action(action, errno_ret, &r->action) < 0) {
		snprintf(err, cap, "seccomp: invalid rule %s", text);
		return -1;
	}
	r->name = name;
	unsigned int per_arg[MAX_ARGS] = { 0 };
	for (char *idx; (idx = strtok_r(NULL, " ", &save));) {
		char *op = strtok_r(NULL, " ", &save), *v1 = strtok_r(NULL, " ", &save), *v2 = strtok_r(NULL, " ", &save);
		unsigned long i = strtoul(idx, NULL, 10);
		size_t k = 0;
		while (op && k < sizeof OPS / sizeof *OPS && strcmp(OPS[k].name, op))
			k++;
		if (!v2 || i >= MAX_ARGS || k == sizeof OPS / sizeof *OPS || r->nconds == MAX_ARGS) {
			snprintf(err, cap, "seccomp: invalid argument condition in the rule for %s", name);
			return -1;
		}
		r->repeated |= per_arg[i]++ > 0;
		r->conds[r->nconds++] = (struct scmp_arg_cmp){ .arg = (unsigned int)i, .op = OPS[k].op, .datum_a = strtoull(v1, NULL, 10), .datum_b = strtoull(v2, NULL, 10) };
	}
	/* A name this libseccomp does not know is a syscall this kernel may not have either: skipped,
	 * as runc does. The ENOSYS stub answers for it if it is newer than every known one. */
	r->nr = seccomp_syscall_resolve_name(name);
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct rule *r, char *err, size_t cap)
{
	int rc = 0;
	if (r->repeated) {
		for (unsigned int i = 0; i < r->nconds && rc == 0; i++)
			rc = seccomp_rule_add_array(ctx, r->action, r->nr, 1, &r->conds[i]);
	} else {
		rc = seccomp_rule_add_array(ctx, r->action, r->nr, r->nconds, r->conds);
	}
	if (rc < 0) {
		snprintf(err, cap, "error adding seccomp filter rule for syscall %s: %s", r->name, strerror(-rc));
		return -1;
	}
	return 0;
}

/*
 * One libseccomp filter for one architecture. Why not one filter with all of them: libseccomp
 * 2.5 copies its whole rule database for every rule it adds (to undo a failed add), so the cost
 * grows with (rules × architectures)²: 366 rules on x86_64 + i386 + x32 took 35 ms in one filter,
 * 2 ms as three merged with seccomp_merge (measured here, 2 CPUs).
 */
static scmp_filter_ctx arch_filter(struct seccomp_spec *s, uint32_t arch, const struct rule *rules, size_t n, char *err, size_t cap)
{
	scmp_filter_ctx ctx = seccomp_init(s->default_action);
	if (!ctx) {
		snprintf(err, cap, "seccomp: cannot create a filter with default action %#x", s->default_action);
		return NULL;
	}
	int rc = 0;
	if (arch != seccomp_arch_native()) {
		rc = seccomp_arch_remove(ctx, seccomp_arch_native());
		if (rc == 0)
			rc = seccomp_arch_add(ctx, arch);
	}
	if (rc < 0) {
		snprintf(err, cap, "seccomp: architecture %#x: %s", arch, strerror(-rc));
		seccomp_release(ctx);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		/* Skipped: unknown names, and rules the default action does already (libseccomp refuses those). */
		if (rules[i].nr == __NR_SCMP_ERROR || rules[i].action == s->default_action)
			continue;
		if (add_rule(ctx, &rules[i], err, cap) < 0) {
			seccomp_release(ctx);
			return NULL;
		}
	}
	return ctx;
}

/* The filter's architectures: the native one first (seccomp_merge keeps the first filter's
 * attributes), then the profile's others. */
static size_t filter_arches(const struct seccomp_spec *s, uint32_t out[MAX_ARCHES + 1])
{
	size_t n = 0;
	out[n++] = seccomp_arch_native();
	for (size_t i = 0; i < s->narches; i++)
		if (s->arches[i] != out[0])
			out[n++] = s->arches[i];
	return n;
}

/* The action's "allows everything" kinds: no stub then (nothing to fall back from), as in runc. */
static int is_permissive(uint32_t act)
{
	return act == SCMP_ACT_ALLOW || act == SCMP_ACT_LOG || act == SCMP_ACT_ERRNO(ENOSYS);
}

/* libseccomp writes the program to an fd (2.5 has no in-memory export): a memfd, read back. */
static struct sock_filter *export_program(scmp_filter_ctx ctx, size_t *len, char *err, size_t cap)
{
	struct sock_filter *prog = NULL;
	int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC), rc;
	if (fd < 0 || (rc = seccomp_export_bpf(ctx, fd)) < 0) {
		snprintf(err, cap, "seccomp: exporting the filter: %s", strerror(fd < 0 ? errno : -rc));
		goto out;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	prog = size > 0 ? malloc((size_t)size) : NULL;
	if (!prog || pread(fd, prog, (size_t)size, 0) != size) {
		snprintf(err, cap, "seccomp: reading the exported filter back");
		free(prog);
		prog = NULL;
		goto out;
	}
	*len = (size_t)size / sizeof *prog;
out:
	if (fd >= 0)
		close(fd);
	return prog;
}

int seccomp_build_filter(struct seccomp_spec *s, char *err, size_t cap)
{
	struct rule *rules = calloc(s->nrules + 1, sizeof *rules);
	const char **names = calloc(s->nrules + 1, sizeof *names);
	scmp_filter_ctx ctx = NULL;
	struct sock_filter *orig = NULL;
	int ok = 0;
	if (!rules || !names) {
		snprintf(err, cap, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->nrules; i++) {
		if (parse_rule(s->rules[i], &rules[i], err, cap) < 0)
			goto out;
		names[i] = rules[i].name;
		if (rules[i].nr == __NR_SCMP_ERROR)
			s->names_unknown++;
		else if (rules[i].action != s->default_action)
			s->rules_added++;
	}
	uint32_t arches[MAX_ARCHES + 1];
	size_t narches = filter_arches(s, arches);
	for (size_t i = 0; i < narches; i++) {
		scmp_filter_ctx one = arch_filter(s, arches[i], rules, s->nrules, err, cap);
		if (!one)
			goto out;
		if (!ctx) {
			ctx = one;
			continue;
		}
		int rc = seccomp_merge(ctx, one); /* takes `one` over, on success */
		if (rc < 0) {
			seccomp_release(one);
			snprintf(err, cap, "seccomp: merging the filter of architecture %#x: %s", arches[i], strerror(-rc));
			goto out;
		}
	}
	size_t norig = 0;
	if (!(orig = export_program(ctx, &norig, err, cap)))
		goto out;
	if (is_permissive(s->default_action)) {
		s->prog.filter = orig;
		s->prog.len = (unsigned short)norig;
		orig = NULL;
	} else {
		size_t len = 0;
		struct sock_filter *prog = enosys_stub_prepend(arches, narches, orig, norig, (char **)names, s->nrules, &len);
		if (!prog) {
			snprintf(err, cap, "seccomp: out of memory");
			goto out;
		}
		s->prog.filter = prog;
		s->prog.len = (unsigned short)len;
	}
	if (s->prog.len > BPF_MAXINSNS) {
		snprintf(err, cap, "seccomp: the filter has %u instructions, more than the kernel's %d", s->prog.len, BPF_MAXINSNS);
		goto out;
	}
	ok = 1;
out:
	free(orig);
	free(names);
	free(rules);
	if (ctx)
		seccomp_release(ctx);
	return ok ? 0 : -1;
}

const struct sock_fprog *seccomp_program(const struct seccomp_spec *s)
{
	return &s->prog;
}

unsigned int seccomp_flags(const struct seccomp_spec *s)
{
	return s->flags;
}

size_t seccomp_rules_added(const struct seccomp_spec *s)
{
	return s->rules_added;
}

size_t seccomp_names_unknown(const struct seccomp_spec *s)
{
	return s->names_unknown;
}
