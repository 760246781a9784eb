/**
 * Electron's security checklist, asserted against what ships: the BUILT main bundle
 * (out/main/index.js and the chunks it imports), the built preload and renderer page, and the
 * electron-builder config in package.json. Source-level unit tests prove the rules; this proves the
 * bundle still wires them, with the values they should have.
 *
 * scripts/test.sh builds before the unit tests, so in CI this reads that build. Run alone, it builds
 * first when out/main/index.js is missing or older than the Electron sources.
 * The bundle is not minified (electron-vite's default for main); the checks rely on its names.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Ajv } from 'ajv'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale } from './build-if-stale.mjs'
import { cspDirectives, HEADER_ONLY_DIRECTIVES, metaCsp, RENDERER_CSP } from '../electron/main/security-csp'
import { ALLOWED_EXTERNAL_ORIGINS } from '../electron/main/security-external'
import { APP_ENTRY_URL, APP_SCHEME } from '../electron/main/security-renderer-origin'
import {
  callsNamed,
  calledNames,
  enclosingFunction,
  evaluate,
  findAll,
  parseBundle,
  parseBundleGraph,
  propertyName,
  walk,
  type Bundle,
} from './bundle-ast'

const root = resolve(import.meta.dirname, '..')
const MAIN = join(root, 'out/main/index.js')
const PRELOAD = join(root, 'out/preload/index.cjs')
const PAGE = join(root, 'out/renderer/index.html')

/** The fuses the packaged app must have (README, "Security of the desktop window"). */
const EXPECTED_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  enableCookieEncryption: true,
  // We serve the renderer from app://, so file:// pages need none of their legacy privileges.
  grantFileProtocolExtraPrivileges: false,
}

/** The bundle under audit is the current sources' build (content-hash stamp, as `npm start` checks). */
function ensureBuilt(): void {
  const status = buildIfStale(root, { log: () => undefined })
  if (status !== 0)
    throw new Error(`electron-vite build failed (exit ${status}); run \`npm run build\` to see why`)
}

let graph: Bundle[]
let main: Bundle

beforeAll(() => {
  ensureBuilt()
  graph = parseBundleGraph(MAIN)
  main = graph[0]!
}, 120_000)

/** Every call of `name` in the main bundle graph, with the bundle it sits in. */
function calls(name: string) {
  return graph.flatMap((b) => callsNamed(b.source, name).map((call) => ({ b, call })))
}

function objectArg(call: ts.CallExpression | ts.NewExpression, i = 0): ts.ObjectLiteralExpression {
  const arg = call.arguments?.[i]
  if (!arg || !ts.isObjectLiteralExpression(arg))
    throw new Error(`argument ${i} of ${call.getText().slice(0, 80)} is not an object literal`)
  return arg
}

function property(obj: ts.ObjectLiteralExpression, name: string): ts.PropertyAssignment | undefined {
  return obj.properties.find(
    (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propertyName(p) === name,
  )
}

describe('Electron checklist: the built main bundle', () => {
  it('gives every BrowserWindow sandbox, contextIsolation and no Node integration, as audit-able literals', () => {
    const windows = graph.flatMap((b) =>
      findAll(b.source, ts.isNewExpression)
        .filter((n) => n.expression.getText() === 'BrowserWindow')
        .map((n) => ({ b, n })),
    )
    expect(windows.length).toBeGreaterThan(0)
    for (const { b, n } of windows) {
      const prefsProp = property(objectArg(n), 'webPreferences')
      expect(prefsProp, 'webPreferences set inline').toBeDefined()
      const prefs = prefsProp!.initializer
      expect(ts.isObjectLiteralExpression(prefs), 'webPreferences is an object literal').toBe(true)
      const obj = prefs as ts.ObjectLiteralExpression
      // A spread could switch anything back on behind the audit's back.
      expect(obj.properties.some(ts.isSpreadAssignment), 'no spread in webPreferences').toBe(false)
      const lit = (name: string) => {
        const p = property(obj, name)
        return p ? evaluate(b, p.initializer) : undefined
      }
      expect(lit('sandbox')).toBe(true)
      expect(lit('contextIsolation')).toBe(true)
      expect(lit('nodeIntegration')).toBe(false)
      expect([undefined, true]).toContain(lit('webSecurity'))
      for (const off of [
        'nodeIntegrationInSubFrames',
        'nodeIntegrationInWorker',
        'webviewTag',
        'experimentalFeatures',
      ]) {
        expect([undefined, false], off).toContain(lit(off))
      }
      for (const absent of ['allowRunningInsecureContent', 'enableBlinkFeatures', 'partition', 'session']) {
        expect(property(obj, absent), absent).toBeUndefined()
      }
      // The preload is the sandboxed CommonJS build, or there is none at all: the attached window
      // (main/attached-window.ts) shows another host's page and gets no bridge into this process.
      const preload = property(obj, 'preload')
      if (preload) expect(preload.initializer.getText()).toMatch(/preload\/index\.cjs/)
    }
    // The app's own window does carry the bridge: without it the renderer could not reach its core.
    expect(
      windows.filter(({ n }) =>
        property(objectArg(n), 'webPreferences')?.initializer.getText().includes('preload'),
      ),
    ).toHaveLength(1)
  })

  it('never weakens web security anywhere in the bundle', () => {
    for (const b of graph) {
      walk(b.source, (n) => {
        if (!ts.isPropertyAssignment(n)) return
        const name = propertyName(n)
        const v = evaluate(b, n.initializer)
        expect(name, `${b.file}: allowRunningInsecureContent`).not.toBe('allowRunningInsecureContent')
        if (name === 'webSecurity') expect(v, `${b.file}: webSecurity`).not.toBe(false)
        if (name === 'sandbox' || name === 'contextIsolation') expect(v, `${b.file}: ${name}`).not.toBe(false)
        if (name === 'nodeIntegration') expect(v, `${b.file}: nodeIntegration`).not.toBe(true)
      })
      for (const call of callsNamed(b.source, 'appendSwitch')) {
        expect(evaluate(b, call.arguments[0]!)).not.toMatch(
          /no-sandbox|disable-web-security|ignore-certificate-errors|remote-debugging|inspect/,
        )
      }
    }
  })

  it('serves the renderer from the privileged app:// scheme, never from file://', () => {
    const reg = calls('registerSchemesAsPrivileged')
    expect(reg).toHaveLength(1)
    const schemes = evaluate(reg[0]!.b, reg[0]!.call.arguments[0]!)
    expect(schemes).toEqual([
      { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ])

    const handle = calls('handle').filter(({ call }) => call.expression.getText() === 'protocol.handle')
    expect(handle.map(({ b, call }) => evaluate(b, call.arguments[0]!))).toEqual([APP_SCHEME])

    expect(calls('loadFile'), 'no loadFile (file://)').toHaveLength(0)
    const loads = calls('loadURL')
    expect(loads.length).toBeGreaterThan(0)
    // What loadURL gets in production: rendererSource({ dev: false }).entryUrl, i.e. APP_ENTRY_URL.
    expect(evaluate(main, ts.factory.createIdentifier('APP_ENTRY_URL'))).toBe(APP_ENTRY_URL)
    expect(APP_ENTRY_URL).toBe('app://stackdeck/index.html')
    const fileUrls = findAll(main.source, ts.isStringLiteralLike).filter((s) => s.text.startsWith('file:'))
    expect(fileUrls.map((s) => s.text)).toEqual([])
  })

  it('compiles the dev-server URL out of the production build', () => {
    for (const b of graph) {
      walk(b.source, (n) => {
        const reads =
          (ts.isPropertyAccessExpression(n) && n.name.text === 'ELECTRON_RENDERER_URL') ||
          (ts.isElementAccessExpression(n) &&
            ts.isStringLiteralLike(n.argumentExpression) &&
            n.argumentExpression.text === 'ELECTRON_RENDERER_URL') ||
          (ts.isBindingElement(n) && (n.propertyName ?? n.name).getText() === 'ELECTRON_RENDERER_URL')
        expect(reads, `${b.file} reads ELECTRON_RENDERER_URL: ${n.getText().slice(0, 80)}`).toBe(false)
        const meta =
          ts.isPropertyAccessExpression(n) && n.name.text === 'env' && ts.isMetaProperty(n.expression)
        expect(meta, `${b.file} still has import.meta.env`).toBe(false)
      })
    }
    const sources = calls('rendererSource')
    expect(sources).toHaveLength(1)
    expect(evaluate(sources[0]!.b, sources[0]!.call.arguments[0]!)).toEqual({ dev: false })
  })

  it('sends the CSP on app:// pages and keeps the page <meta> in step', () => {
    expect(evaluate(main, ts.factory.createIdentifier('RENDERER_CSP'))).toBe(RENDERER_CSP)
    const headers = findAll(main.source, ts.isPropertyAssignment).filter(
      (p) => propertyName(p) === 'content-security-policy',
    )
    expect(headers.map((p) => p.initializer.getText())).toEqual(['RENDERER_CSP'])
    const meta = metaCsp(readFileSync(PAGE, 'utf8'))
    expect(meta, 'built index.html has a CSP meta').not.toBeNull()
    const expected = cspDirectives(RENDERER_CSP)
    for (const d of HEADER_ONLY_DIRECTIVES) expected.delete(d)
    expect(Object.fromEntries(cspDirectives(meta!))).toEqual(Object.fromEntries(expected))
  })

  it('guards navigation, redirects, subframes, webviews, new windows and permissions', () => {
    const onEvents = new Map<string, ts.CallExpression>()
    for (const { b, call } of calls('on')) {
      const ev = call.arguments[0] && evaluate(b, call.arguments[0])
      if (typeof ev === 'string') onEvents.set(ev, call)
    }
    for (const ev of ['will-navigate', 'will-redirect', 'will-frame-navigate', 'will-attach-webview']) {
      const call = onEvents.get(ev)
      expect(call, `a ${ev} guard`).toBeDefined()
      expect(calledNames(call!.arguments[1]!).has('preventDefault'), `${ev} can cancel`).toBe(true)
    }

    const openHandlers = calls('setWindowOpenHandler')
    expect(openHandlers).toHaveLength(1)
    const fn = openHandlers[0]!.call.arguments[0]!
    const returns = findAll(fn, ts.isReturnStatement).filter((r) => enclosingFunction(r) === fn)
    expect(returns.length).toBeGreaterThan(0)
    for (const r of returns)
      expect(evaluate(openHandlers[0]!.b, r.expression!), 'window.open always denied').toEqual({
        action: 'deny',
      })

    expect(calls('setPermissionRequestHandler')).toHaveLength(1)
    expect(calls('setPermissionCheckHandler')).toHaveLength(1)
  })

  it('opens external links only through the origin allow-list and a confirmation dialog', () => {
    const opens = calls('openExternal')
    expect(opens.length).toBeGreaterThan(0)
    for (const { call } of opens) {
      const fn = enclosingFunction(call)
      expect(fn, 'openExternal inside a function').not.toBeNull()
      const called = calledNames(fn!)
      expect(called.has('externalLinkDecision'), 'decided by the allow-list').toBe(true)
      expect(called.has('showMessageBox'), 'confirmed by the user').toBe(true)
    }
    const list = evaluate(main, ts.factory.createIdentifier('ALLOWED_EXTERNAL_ORIGINS'))
    expect(list).toEqual([...ALLOWED_EXTERNAL_ORIGINS])
    for (const o of list as string[]) expect(o).toMatch(/^https:\/\/[^/]+$/)
  })

  it('accepts IPC from the main frame of our own renderer only', () => {
    const [refusal] = graph.flatMap((b) =>
      findAll(b.source, ts.isFunctionDeclaration).filter((f) => f.name?.text === 'senderRefusal'),
    )
    expect(refusal, 'senderRefusal is bundled').toBeDefined()
    const checksParent = findAll(refusal!, ts.isBinaryExpression).some(
      (e) =>
        e.operatorToken.kind === ts.SyntaxKind.ExclamationEqualsEqualsToken &&
        /\.parent$/.test(e.left.getText()) &&
        e.right.kind === ts.SyntaxKind.NullKeyword,
    )
    expect(checksParent, 'senderFrame.parent !== null is refused').toBe(true)
    const handlers = calls('handle').filter(({ call }) => call.expression.getText() === 'transport.handle')
    expect(handlers).toHaveLength(1)
    expect(calledNames(handlers[0]!.call.arguments[1]!).has('senderRefusal')).toBe(true)
  })
})

describe('Electron checklist: the built preload', () => {
  it('exposes one object of named functions and never ipcRenderer itself', () => {
    const preload = parseBundle(PRELOAD)
    const exposes = callsNamed(preload.source, 'exposeInMainWorld')
    expect(exposes).toHaveLength(1)
    const api = exposes[0]!.arguments[1]!
    expect(api.getText()).not.toMatch(/ipcRenderer/)
    const leaks = findAll(preload.source, ts.isShorthandPropertyAssignment).filter(
      (p) => p.name.text === 'ipcRenderer',
    )
    expect(leaks).toHaveLength(0)
  })
})

describe('Electron checklist: electron-builder fuses', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    build: Record<string, unknown>
  }

  it('flips the fuses that close Node-level back doors', () => {
    expect(pkg.build['electronFuses']).toEqual(EXPECTED_FUSES)
  })

  it('is a build config electron-builder accepts (its own schema, so a misspelt fuse fails here)', () => {
    const schema = JSON.parse(
      readFileSync(join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8'),
    ) as object
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema)
    expect(validate(pkg.build), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
  })
})
