// The lab guide, the chapters that use Apache (httpd) and Debian (test/docs/guide-run.ts runs them;
// the others are in guide-2.test.ts).
process.env.GUIDE_PART = '01,03,04,05,07'
await import('./guide-run.js')
export {}
