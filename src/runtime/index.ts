// tocker's low-level runtime: runs OCI bundles (rootfs + config.json) like runc, as a library.
// It knows nothing of images, the engine or the CLI; they drive it through these functions.
export { parseSignal } from '../sys/signals.js'
export { loadBundle, parseOverlay, type Bundle } from './bundle.js'
export { DEFAULT_CAPABILITIES, capabilityNames, capabilityMask } from './caps.js'
export {
  containerPids,
  containerState,
  createContainer,
  deleteContainer,
  exitStatus,
  killContainer,
  listContainers,
  oomKillCount,
  pauseContainer,
  updateContainer,
  containerStats,
  runContainer,
  startContainer,
  waitForExit,
  type Container,
  type CreateOptions,
  type LogRelay,
  type RuntimeOptions,
} from './container.js'
export { defaultSpec, defaultMounts, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_PATH_ENV } from './default-spec.js'
export { execProcess, type ExecOptions, type ExecProcess } from './exec.js'
export { GateError, type StdioFds } from './shim.js'
export { OCI_VERSION, OVERLAY_ANNOTATION, type LinuxResources as LinuxResourcesInput, type OverlayRootfs, type Process, type Spec, type State } from './spec.js'
export { DEFAULT_STATE_ROOT, readState, type ExitStatus, type StoredState } from './state.js'
