// Coverage-guided fuzzing of what reaches the engine whole: the API's request handling and archive
// loading (how, and what fails a target: fuzz-target.ts and README.md).
import { fuzzTargets } from './fuzz-target.js'

fuzzTargets([
  { name: 'api', sync: true },
  { name: 'archive', sync: false },
])
