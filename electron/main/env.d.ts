// `import.meta.env.DEV` / `MODE` as electron-vite replaces them at build time.
/// <reference types="electron-vite/node" />
