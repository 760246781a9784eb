#!/usr/bin/env node
// Adds up every suite's JSON report into one closing line, so CI can tell a real run from an empty one.
import { existsSync, readdirSync, readFileSync } from 'node:fs'

const dir = 'test-results'
let passed = 0
let failed = 0
let skipped = 0
const lines = []
for (const f of existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')).sort() : []) {
  const data = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'))
  let p = 0
  let x = 0
  let s = 0
  if (f.startsWith('cucumber-')) {
    for (const feature of data) {
      for (const sc of feature.elements ?? []) {
        const st = (sc.steps ?? []).map((step) => step.result?.status)
        if (st.some((v) => v === 'failed' || v === 'undefined' || v === 'ambiguous')) x++
        else if (st.every((v) => v === 'passed')) p++
        else s++
      }
    }
  } else if (data.stats && 'expected' in data.stats) {
    p = data.stats.expected + (data.stats.flaky ?? 0)
    x = data.stats.unexpected
    s = data.stats.skipped
  } else {
    p = data.numPassedTests ?? 0
    x = (data.numFailedTests ?? 0) + (data.numRuntimeErrorTestSuites ?? 0)
    s = (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0)
  }
  lines.push(`  ${f.replace(/\.json$/, '').padEnd(24)} ${p} passed, ${x} failed, ${s} skipped`)
  passed += p
  failed += x
  skipped += s
}
console.log('Test summary:')
for (const l of lines) console.log(l)
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
