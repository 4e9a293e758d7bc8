// Imported first by every benchmark that sets a Node process beside `node -e 0`: the environment
// of the measured processes is the same as on the day issue 14 was measured (node -e 0: 77 ms).
//
// NODE_EXTRA_CA_CERTS (set on these machines, to /etc/ssl/certs/ca-certificates.crt) makes every
// Node process read and parse that CA bundle at start-up: ~40 ms more per start here (node -e 0
// 114 ms with it, 74 without, session 10). It moves the reference and tocker alike, so "node + N
// ms" does not change, but a ratio to node -e 0 (ps/images ≤ 1.2×) looks ~1/3 better than it is.
// Nothing a benchmark runs needs it (no TLS: the registry is local, images load offline).
if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  process.stderr.write(`bench: NODE_EXTRA_CA_CERTS (${process.env.NODE_EXTRA_CA_CERTS}) unset for every measured process: it adds ~40 ms to each Node start\n`)
  delete process.env.NODE_EXTRA_CA_CERTS
}
