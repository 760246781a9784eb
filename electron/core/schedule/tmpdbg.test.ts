import fc from 'fast-check'
import { it } from 'vitest'
import { cfgArb, simulateYear, ZONES } from './tmpdbg-year'
for (const z of ZONES) {
  it('dbg ' + z.zone, async () => {
    await fc.assert(fc.asyncProperty(cfgArb(z), fc.integer(), (c, seed) => simulateYear(z, c, seed)), { numRuns: 60 })
  }, 600000)
}
