// The lab guide, chapters 01,02,03,04 (test/docs/guide-run.ts runs them; the other half is in guide-2.test.ts).
process.env.GUIDE_PART = '01,02,03,04'
await import('./guide-run.js')
export {}
