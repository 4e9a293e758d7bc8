/*
 * shim.h: what the parts of tocker's shim share (main.c, gate.c, process.c, channel.c).
 *
 * The control socket (fd 3, a SOCK_SEQPACKET socketpair made by the runtime: one send() is one
 * message, so the shim and the gate can both write to it without their messages mixing):
 *
 *   runtime (Node)                    shim (parent)               gate (PID 1 of the container)
 *   spawn shim ──────────────────────▶ unshare(NEWPID), fork ────▶
 *        ◀──────────────────────────── P <gate pid> <shim pid>
 *        ◀─────────────────────────────────────────────────────── R (ready)
 *   [cgroup: write pid]
 *   C [path] ─────────────────────────────────────────────────────▶ unshare/setns cgroup ns ─▶ K|E
 *   M src,dst,type,flags,data ────────────────────────────────────▶ mount(2) from inside  ─▶ K|E
 *   [Node: /dev, binds, masks, pivot_root]
 *   S <process spec> ─────────────────────────────────────────────▶ user, caps, rlimits, cwd,
 *                                                                    find the program     ─▶ K|E
 *   [Node: writes state.json]
 *   D (durable: the state is saved) ──────────────────────────────▶ (no answer)
 *   (create returns; the gate polls the control socket and <state>/start.sock. End of file on the
 *    control socket before D: the creator died before anyone could know of the container, and the
 *    gate exits; after D: only `start` can release it now. With --step, D comes before S.)
 *   `start` connects (stream socket), sends G ─────────────────────▶ execve; the socket is
 *        ◀─────────────── EOF (close-on-exec: it ran) or E errno,exit code,message (it did not)
 *   (or, in the process that created it: G on the control socket, same answer there)
 *
 * In exec mode there is no start socket: the shim joins the container's mount and PID namespaces,
 * forks the new process and says "P <pid> <shim pid>"; the process says R, takes the spec and its
 * G on the control socket (main.c's exec_mode says why the fork).
 *
 * With --trace 1 (someone runs `tocker --explain`), the shim, the gate and exec's process also
 * report each step they take as a T message (trace.c), on the channel their answers go to, before
 * that answer; the runtime turns them into trace events in that order:
 *
 *   runtime (Node)                    shim (parent)               gate (PID 1 of the container)
 *        ◀──────────────────────────── T unshare(CLONE_NEWPID), T fork → PID 1, then P
 *   C, M ─────────────────────────────────────────────────────────▶ T unshare cgroup ns, T mount proc
 *   S ────────────────────────────────────────────────────────────▶ T setrlimit, seccomp, bounding
 *                                                                    set, setresuid, capset, chdir,
 *                                                                    getcwd check, program lookup; K|E
 *   G (control socket or start.sock) ─────────────────────────────▶ T execve, then EOF (it ran) or E
 *   On start.sock (a stream) each T is framed: 'T', 8 hex digits of length, the payload.
 */
#ifndef TOCKER_SHIM_H
#define TOCKER_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONTROL_FD 3
#define MAX_MSG (1 << 20)

enum msg_type {
	MSG_PID = 'P',      /* shim → runtime: "<gate pid> <shim pid>", as the runtime sees them */
	MSG_READY = 'R',    /* gate → runtime: waiting for orders */
	MSG_CGROUPNS = 'C', /* runtime → gate: unshare the cgroup ns (payload empty) or join it (a path) */
	MSG_MOUNT = 'M',    /* runtime → gate: mount(2) from inside the PID namespace */
	MSG_SPEC = 'S',     /* runtime → gate: the process to run (see process.c) */
	MSG_HOOKS = 'H',    /* runtime → gate: run these hooks now, in here (createContainer; hooks.c) */
	MSG_CHROOT = 'J',   /* runtime → gate: chroot into this path (no mount namespace of its own: gate.c) */
	MSG_SAVED = 'D',    /* runtime → gate: state.json is saved, outlive me (no answer; gate.c state_saved) */
	MSG_GO = 'G',       /* start → gate: execve now */
	MSG_OK = 'K',
	MSG_ERROR = 'E',    /* "<errno>\0<exit code>\0<message>" */
	MSG_TRACE = 'T',    /* shim/gate → runtime, with --trace 1: "<op>\0<detail>\0<result>\0<errno>\0<usec>\0<who>" */
};

/* main.c: what the command line gave the gate and the process beyond the control socket. */
struct shim_fds {
	int console;       /* a connected socket: send the pty master there (--console-fd); -1: none */
	int preserve_base; /* --preserve-fds N: fds preserve_base.. become 3..3+N-1 of the process */
	int preserve_n;
	int userns;        /* --userns-fd N: the container's user namespace, entered before the user switch */
};
extern struct shim_fds shim_fds;

/* channel.c */
ssize_t recv_msg(int fd, char *buf, size_t cap);
/* util.c: write s to path (a /proc file: one write(2), as the kernel wants it); 0, or -1 with errno. */
int write_file(const char *path, const char *s);
/* util.c: append s to the NULL-terminated array *list of *n strings; 0, or -1 (out of memory). */
int strv_push(char ***list, size_t *n, char *s);
int send_msg(int fd, char type, const char *payload, size_t len);
/* An fd over a unix socket (SCM_RIGHTS), with body[0..len) as the message's bytes; 0, or -1 with errno. */
int send_fd(int sock, int fd, const char *body, size_t len);
/* The fd carried by one message on `sock`, or -1 (end of file, or a message without one). */
int recv_fd(int sock);
int send_ok(int fd);
/* Report a failure: errno value, the exit code the caller should use, a printf-style message. */
int send_error(int fd, int err, int exit_code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Report on stderr (the shim's own errors before the runtime can hear them). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Go's spelling of an errno ("no such file or directory"): runc's messages, which Docker shows. */
const char *go_strerror(int err, char *buf, size_t cap);

/* process.c: the process spec, applied in the gate. */
struct process_spec;
struct process_spec *parse_process_spec(const char *buf, size_t len, char *err, size_t errcap);
/* Everything but the execve: rlimits, user, capabilities, no_new_privs, umask, cwd, program
 * lookup. Returns 0, or -1 with errno-ish *err_no, *exit_code and a message in msg. */
int prepare_process(struct process_spec *spec, int *err_no, int *exit_code, char *msg, size_t cap);
/* execve; returns only on failure, with the same outputs as prepare_process. *reply_fd (the socket
 * a failure is reported on) may be moved out of the way of preserved fds. */
void exec_process(struct process_spec *spec, int *reply_fd, int *err_no, int *exit_code, char *msg, size_t cap);
/* The startContainer hooks of the spec (run by the gate between `start` and execve). */
int process_start_hooks(struct process_spec *spec, char *msg, size_t cap);

/* hooks.c: OCI hooks run from inside the container's namespaces (createContainer, startContainer). */
struct hook_list;
struct hook_list *hooks_new(const char *name);
/* A field of the hook encoding (see hooks.c): 1 taken, 0 not a hook field, -1 out of memory. */
int hooks_field(struct hook_list *l, char tag, char *val);
/* Run them in order; 0, or -1 with runc's message in msg. */
int hooks_run(const struct hook_list *l, char *msg, size_t cap);

/* console.c: process.terminal with --console-socket, as runc does it. */
/* A pty from the container's own devpts (/dev/ptmx), its master sent over `sock` (SCM_RIGHTS);
 * the slave becomes our controlling terminal and stdio; `console`: bind it on /dev/console. */
int console_setup(int sock, unsigned rows, unsigned cols, int console, char *msg, size_t cap);

/* hygiene.c: nothing of the host reaches the container's process (see there). */
/* The fds above 2 that fds_close_others() leaves open (replaces the previous list). */
void fds_keep(const int *fds, size_t n);
/* Also keep [lo, lo+n) (preserved fds). */
void fds_keep_range(int lo, int n);
/* Close every fd but 0-2 and the kept ones. Returns 0, or -1 with errno. */
int fds_close_others(void);
/* After chdir: is the cwd inside this process's root? 0, or -1 with *err_no and runc's message. */
int cwd_check(int *err_no, char *msg, size_t cap);

/* sealed.c: re-execute from a sealed memfd copy unless already running from one. */
void run_sealed(char **argv);

/* seccomp.c: the container's filter, compiled by the runtime (field F of the process spec). */
struct seccomp_filter;
struct seccomp_filter *parse_seccomp_filter(const char *val, char *err, size_t cap);
/* seccomp(2): from now on every syscall of this process and its children goes through it. */
int load_seccomp_filter(const struct seccomp_filter *f);
/* Its length in BPF instructions (for the trace). */
unsigned int seccomp_filter_length(const struct seccomp_filter *f);

/* exit.c: <name>.json (exit.json, execs/<id>.json), written into space reserved at the start (a
 * full disk cannot lose it). */
/* Wait for the child `pid`: its exit code as Docker reports it (128+n for signal n), and n. */
int wait_exit(pid_t pid, int *code, int *sig);
/* Create <name>.reserved in dirfd; its fd (O_CLOEXEC), or -1 with errno (no space even now). */
int exit_reserve(int dirfd, const char *name);
/* <name>.json (through the reserved file when reserved_fd >= 0), then the same JSON on exit_fd. */
void write_exit_status(int dirfd, const char *name, int reserved_fd, int exit_fd, int code, int sig);

/* trace.c: the shim's own steps for `tocker --explain` (only with --trace 1: otherwise free). */
void trace_enable(int on);
int trace_on(void);
/* Where reports go from now on: the control socket (stream 0) or the start socket's connection (1). */
void trace_to(int fd, int stream);
/* The reporting socket was moved to another fd (exec_process, around preserved fds). */
void trace_fd_moved(int from, int to);
/* Who is speaking: "shim", "PID 1", "exec shim", "process". */
void trace_actor(const char *who);
/* A start time for trace_step's duration (0 when tracing is off: no clock read). */
uint64_t trace_clock(void);
/* One step: op, errno (0: it worked), result (NULL: "ok" or the errno's name), detail (printf). */
void trace_step(uint64_t start, const char *op, int err, const char *result, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* gate.c */
/* PID 1's life in create mode: serve the control socket, then wait for `start` on the start socket. */
/* lsock: the start socket, bound and listening (main.c binds it in the state dir before the fork). */
void gate_create(int ctl, int lsock) __attribute__((noreturn));
/* The new process's life in exec mode: serve the control socket, G comes on it too. */
void gate_exec(int ctl) __attribute__((noreturn));

#endif
