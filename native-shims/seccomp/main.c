/*
 * tocker-seccomp: compiles a container's seccomp filter (see compile.c for what and why).
 *
 * Input (stdin): the fields, one per line, a tag letter and its value:
 *   z <defaultAction> <errno|->      Z <SCMP_ARCH_…>      f <SECCOMP_FILTER_FLAG_…>
 *   y <action> <errno|-> <name> [<index> <op> <value> <valueTwo>]…
 * Output (stdout), one line: "<rules> <instructions> <unknown names> <flags> <program in hex>",
 * the program being the struct sock_filter array the gate passes to seccomp(2). On failure: a
 * message on stderr and exit status 1. `tocker-seccomp --version` prints libseccomp's version.
 */
#define _GNU_SOURCE
#include "compile.h"

#include <seccomp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	/* `--version`: the libseccomp linked in (tocker-runtime --version and features print it). */
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		const struct scmp_version *v = seccomp_version();
		printf("%u.%u.%u\n", v->major, v->minor, v->micro);
		return 0;
	}
	struct seccomp_spec *spec = NULL;
	char err[512];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = 0;
		if (n == 0)
			continue;
		char *val = strdup(line + 1); /* kept: rules point into it */
		if (!val || seccomp_field(&spec, line[0], val, err, sizeof err) < 0) {
			fprintf(stderr, "%s\n", val ? err : "out of memory");
			return 1;
		}
	}
	if (!spec) {
		fprintf(stderr, "seccomp: no filter given\n");
		return 1;
	}
	if (seccomp_build_filter(spec, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	const struct sock_fprog *prog = seccomp_program(spec);
	printf("%zu %u %zu %u ", seccomp_rules_added(spec), prog->len, seccomp_names_unknown(spec), seccomp_flags(spec));
	const unsigned char *bytes = (const unsigned char *)prog->filter;
	for (size_t i = 0; i < prog->len * sizeof *prog->filter; i++)
		printf("%02x", bytes[i]);
	printf("\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
