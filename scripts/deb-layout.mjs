/**
 * Where a Stackdeck .deb puts things: one list, read by scripts/check-deb.mjs (which checks a built
 * package against it), by its test (which builds .deb files from it) and by the packaging-config test
 * (which checks package.json's `build` key and resources/stackdeck-headless.service point at the same
 * paths). electron-builder's deb layout: the app under /opt/<productName>, the .desktop file and the
 * icon under /usr/share, named for the executable (package.json `name`).
 */

export const INSTALL_DIR = '/opt/Stackdeck'
export const APP_BINARY = `${INSTALL_DIR}/stackdeck`
export const RESOURCES = `${INSTALL_DIR}/resources`
/**
 * The headless host runs under the system's Node, which cannot read inside app.asar (and the packaged
 * binary cannot act as Node: the RunAsNode fuse is off). So on Linux the host's files are unpacked
 * beside the archive (package.json `build.linux.asarUnpack`), with the runtime node_modules it imports.
 */
export const UNPACKED = `${RESOURCES}/app.asar.unpacked`
export const HEADLESS_ENTRY = `${UNPACKED}/out/main/server.js`
export const SYSTEMD_UNIT = '/usr/lib/systemd/system/stackdeck-headless.service'
/** The headless host's interpreter: the system Node (Debian's `nodejs` package). */
export const SYSTEM_NODE = '/usr/bin/node'

/**
 * The entries a complete .deb holds, as `dpkg-deb -c` names them (with a leading `.`). `*` matches one
 * path segment (the icon's size directory).
 * @type {ReadonlyArray<{ what: string, path: string }>}
 */
export const REQUIRED_ENTRIES = [
  { what: 'the app binary', path: APP_BINARY },
  { what: 'app.asar', path: `${RESOURCES}/app.asar` },
  { what: 'the .desktop file', path: '/usr/share/applications/stackdeck.desktop' },
  { what: 'the icon', path: '/usr/share/icons/hicolor/*/apps/stackdeck.png' },
  { what: 'the headless host entry', path: HEADLESS_ENTRY },
  // Node reads "type": "module" from the nearest package.json: without it server.js is not ESM.
  { what: "the headless host's package.json", path: `${UNPACKED}/package.json` },
  { what: "the headless host's UI build", path: `${UNPACKED}/out/renderer/index.html` },
  { what: "the headless host's config schema", path: `${UNPACKED}/schemas/config.schema.json` },
  { what: 'the systemd unit', path: SYSTEMD_UNIT },
]

/**
 * The control fields a complete .deb has. `includes`: each string must occur in the field's value.
 * nodejs is a Recommends, not a Depends: only the headless host needs it, and Debian 12's nodejs is 18,
 * so a hard dependency would make the desktop app uninstallable there.
 * @type {ReadonlyArray<{ field: string, includes: string[] }>}
 */
export const REQUIRED_CONTROL = [
  { field: 'Package', includes: ['stackdeck'] },
  { field: 'Depends', includes: ['libgtk-3-0', 'libnss3'] },
  { field: 'Recommends', includes: ['nodejs (>= 22.12)'] },
]

/**
 * The runtime packages the headless host imports (package.json `dependencies`): each must be unpacked
 * beside it, or `import` fails under the system Node.
 * @param {Record<string, string>} dependencies
 * @returns {{ what: string, path: string }[]}
 */
export function dependencyEntries(dependencies) {
  return Object.keys(dependencies).map((name) => ({
    what: `the runtime dependency ${name}`,
    path: `${UNPACKED}/node_modules/${name}/package.json`,
  }))
}
