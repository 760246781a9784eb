// Writes the JSON Schema files that are generated from TypeBox sources (`npm run schemas`).
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { SettingsSchema } from '../electron/core/settings/settings-schema'

const out = resolve(import.meta.dirname, '../schemas/settings.schema.json')
writeFileSync(out, JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...SettingsSchema }, null, 2) + '\n')
console.log(`wrote ${out}`)
