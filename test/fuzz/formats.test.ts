// Coverage-guided fuzzing of the parsers of untrusted formats: the tar reader, image references and
// image documents (how, and what fails a target: fuzz-target.ts and README.md).
import { fuzzTargets } from './fuzz-target.js'

fuzzTargets([
  { name: 'tar', sync: true },
  { name: 'reference', sync: true },
  { name: 'documents', sync: true },
])
