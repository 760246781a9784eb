import type { Rule } from 'eslint'

export const TEST: 'test'
export function layerOf(rel: string): string | null
export const LAYERS: Record<string, { value: unknown; type?: unknown }>
export const codeLayering: Rule.RuleModule
export function importXSettings(resolver: unknown): Record<string, unknown>
declare const plugin: { rules: Record<string, Rule.RuleModule> }
export default plugin
