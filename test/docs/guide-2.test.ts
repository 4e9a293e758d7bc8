// The lab guide, the chapters that need only busybox-based images (test/docs/guide-run.ts runs them;
// the others are in guide-1.test.ts).
process.env.GUIDE_PART = '02,06,08,09,10'
await import('./guide-run.js')
export {}
