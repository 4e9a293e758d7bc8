// tocker's shim (native-shims/shim/, see main.c for why it exists), as the runtime sees it:
// starting it (shim-spawn.ts), its control socket (shim-channel.ts), its messages and trace reports
// (shim-messages.ts), the gate's refusals (gate-error.ts).
export { GateError, parseError } from './gate-error.js'
export { ShimChannel, type CreateChannel } from './shim-channel.js'
export { ERROR_BYTE, GO_BYTE, parseStartReply, shimTraceArgs, shimTraceEvent } from './shim-messages.js'
export { INHERIT_STDIO, locateShim, shimExecutable, spawnCreateShim, spawnExecShim, spawnHolder, useCreateShim, type CreatedShim, type SpawnedShim, type StdioFds } from './shim-spawn.js'
