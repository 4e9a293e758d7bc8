// Signal numbers by name (SIGTERM → 15), as the kill command reads them.
import { constants } from 'node:os'

export const DEFAULT_SIGNALS = constants.signals as Record<string, number>
