/*
 * enosys.c: the ENOSYS stub that runc puts in front of libseccomp's program (compile.c makes that).
 *
 * A syscall newer than every syscall the profile names (a kernel newer than the profile, or a name
 * this libseccomp cannot resolve: 2.5.4 does not know mseal, statmount, listmount, the *xattrat
 * calls of 6.13, ...) answers ENOSYS instead of the default EPERM. ENOSYS means "this kernel has no
 * such call", and programs (glibc first) then fall back to an older call; EPERM would make them
 * fail. The stub is a few instructions put in front of libseccomp's program: per architecture,
 * "nr > highest known → ERRNO(ENOSYS)".
 */
#include "enosys.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARCHES 16
#define X32_SYSCALL_BIT 0x40000000u

/* The highest syscall number among the rules, for one architecture (0 if none resolves). */
static uint32_t highest_known(uint32_t arch, char **names, size_t n)
{
	uint32_t max = 0;
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name_arch(arch, names[i]);
		if (nr >= 0 && (uint32_t)nr > max)
			max = (uint32_t)nr;
	}
	return max;
}

#define STMT(c, k) ((struct sock_filter)BPF_STMT((c), (k)))
#define JUMP(c, k, t, f) ((struct sock_filter)BPF_JUMP((c), (k), (t), (f)))

/*
 * The stub in front of libseccomp's program `orig` (see the top of this file):
 *
 *       ld  [arch]
 *       jeq ARCH_1 → sec_1            (one per architecture; x32 shares x86_64's audit arch and
 *       ...                            is told apart by bit 30 of the number)
 *       ja  → orig                    (an architecture we do not know: libseccomp's verdict)
 *   sec_i: ld [nr]; [jset X32_BIT → sec_x32]; jgt MAX_i → enosys; ja → orig
 *   enosys: ret ERRNO(ENOSYS)
 *   orig: ...libseccomp's program, unchanged (its jumps are relative)
 */
struct sock_filter *enosys_stub_prepend(const uint32_t *all, size_t nall, const struct sock_filter *orig, size_t norig, char **names, size_t nnames, size_t *len)
{
	struct sock_filter stub[64];
	size_t n = 0;
	uint32_t arches[MAX_ARCHES], maxes[MAX_ARCHES];
	size_t narches = 0;
	uint32_t xmax = 0;
	if (nall > MAX_ARCHES)
		return NULL;
	/* An architecture on which no rule's name resolves has nothing to be newer than: no stub. */
	for (size_t i = 0; i < nall; i++) {
		uint32_t max = highest_known(all[i], names, nnames);
		if (all[i] == SCMP_ARCH_X32)
			xmax = max;
		else if (max > 0)
			arches[narches] = all[i], maxes[narches++] = max;
	}
	int has_x32 = xmax > 0;
	if (narches == 0) { /* nothing to stub: libseccomp's program alone */
		struct sock_filter *prog = malloc(norig * sizeof *prog);
		if (!prog)
			return NULL;
		memcpy(prog, orig, norig * sizeof *prog);
		*len = norig;
		return prog;
	}
	/* Sections are laid out after the dispatch: 1 (ld) + narches (jeq) + 1 (ja) instructions. */
	size_t dispatch = 2 + narches;
	size_t section_len[MAX_ARCHES], section_at[MAX_ARCHES];
	size_t at = dispatch;
	for (size_t i = 0; i < narches; i++) {
		int x32 = arches[i] == SCMP_ARCH_X86_64 && has_x32;
		section_len[i] = x32 ? 6 : 3;
		section_at[i] = at;
		at += section_len[i];
	}
	size_t enosys = at, total = at + 1;
	if (total > sizeof stub / sizeof *stub)
		return NULL;
	/* Jump offsets count from the instruction after the jump. */
#define TO(target) ((target) - n - 1)
	stub[n] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), n++;
	for (size_t i = 0; i < narches; i++)
		stub[n] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, arches[i], (uint8_t)TO(section_at[i]), 0), n++;
	stub[n] = STMT(BPF_JMP | BPF_JA, (uint32_t)TO(total)), n++;
	for (size_t i = 0; i < narches; i++) {
		int x32 = arches[i] == SCMP_ARCH_X86_64 && has_x32;
		uint32_t max = maxes[i];
		stub[n] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), n++;
		if (x32) /* bit 30 set: an x32 number, checked by the last two instructions */
			stub[n] = JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 2, 0), n++;
		stub[n] = JUMP(BPF_JMP | BPF_JGT | BPF_K, max, (uint8_t)TO(enosys), 0), n++;
		stub[n] = STMT(BPF_JMP | BPF_JA, (uint32_t)TO(total)), n++;
		if (x32) {
			stub[n] = JUMP(BPF_JMP | BPF_JGT | BPF_K, xmax, (uint8_t)TO(enosys), 0), n++;
			stub[n] = STMT(BPF_JMP | BPF_JA, (uint32_t)TO(total)), n++;
		}
	}
#undef TO
	stub[n] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)), n++;

	struct sock_filter *prog = malloc((n + norig) * sizeof *prog);
	if (!prog)
		return NULL;
	memcpy(prog, stub, n * sizeof *prog);
	memcpy(prog + n, orig, norig * sizeof *prog);
	*len = n + norig;
	return prog;
}
