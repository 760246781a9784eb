import type { Settings } from './settings-schema'

type ServiceSettings = Settings['services'][number]

export interface SelectorOverlap {
  /** Indexes into `services`, first < second. */
  first: number
  second: number
  /** The labels of a container both selectors would match (their union). */
  example: Record<string, string>
}

/**
 * Can two services' selectors ever match the same container? A selector matches a container that
 * carries every one of its labels with exactly that value, and a container may carry any other
 * labels too. So two selectors are disjoint only when they demand different values for the same
 * label key, or when both services are pinned to different endpoints. Anything else can overlap,
 * even selectors with no key in common ({app: x} and {tier: y} both match app=x,tier=y).
 */
export function selectorsCanOverlap(a: Pick<ServiceSettings, 'selector' | 'endpoint'>, b: Pick<ServiceSettings, 'selector' | 'endpoint'>): boolean {
  if (a.endpoint !== undefined && b.endpoint !== undefined && a.endpoint !== b.endpoint) return false
  return Object.entries(a.selector).every(([k, v]) => !(k in b.selector) || b.selector[k] === v)
}

/** Every pair of supervised services that could both act on one container. */
export function supervisedOverlaps(services: readonly ServiceSettings[]): SelectorOverlap[] {
  const out: SelectorOverlap[] = []
  for (let i = 0; i < services.length; i++) {
    const a = services[i]
    if (!a?.supervise) continue
    for (let j = i + 1; j < services.length; j++) {
      const b = services[j]
      if (!b?.supervise || !selectorsCanOverlap(a, b)) continue
      out.push({ first: i, second: j, example: { ...a.selector, ...b.selector } })
    }
  }
  return out
}

/** "app=x, tier=y" */
const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')

/** The refusal for one overlap, naming both services, why, and how to fix it. */
export function overlapMessage(services: readonly ServiceSettings[], o: SelectorOverlap): string {
  const a = services[o.first]?.name ?? `#${o.first}`
  const b = services[o.second]?.name ?? `#${o.second}`
  return (
    `supervised services "${a}" and "${b}" have selectors that can match the same container ` +
    `(one labelled ${labelsText(o.example)}), which both would then restart. Give them different values ` +
    `for a label key they share, or pin them to different endpoints, or supervise only one of them`
  )
}
