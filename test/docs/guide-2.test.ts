// The lab guide, chapters 05,06,07,08 (test/docs/guide-run.ts runs them; the other half is in guide-1.test.ts).
process.env.GUIDE_PART = '05,06,07,08'
await import('./guide-run.js')
export {}
