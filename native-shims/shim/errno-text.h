/*
 * errno-text.h: an errno's name ("ENOENT") and message ("No such file or directory"), as glibc
 * words them, whichever C library the shim is linked with.
 *
 * Why not strerror(3) and strerrorname_np(3): the shim is linked with musl where it can be (see
 * native-shims/build.mjs: a static glibc program spends ~0.5 ms at every start in its CPU
 * detection, dozens of CPUID instructions that each trap to the hypervisor on a virtual machine,
 * and the shim is exec'd once per container). musl has no strerrorname_np and words some
 * messages differently (ELOOP "Symbolic link loop", EBUSY "Resource busy"), while the runtime's
 * errors must read like runc's and Docker's (Go's table is glibc's). So build.mjs asks the
 * host's glibc once, at build time, and writes both tables into out/gen/errno-text.c.
 */
#ifndef TOCKER_ERRNO_TEXT_H
#define TOCKER_ERRNO_TEXT_H

/* "ENOENT", or NULL for a number glibc has no name for (like strerrorname_np). */
const char *errno_name(int err);
/* "No such file or directory", or "Unknown error N" (like glibc's strerror). */
const char *errno_text(int err);

#endif
