// Cucumber imports support files in order: this one first, so the TypeScript step definitions that
// follow load through tsx's ESM hooks. (tsx refuses cucumber's `loader` option, which uses the
// deprecated --loader path; `NODE_OPTIONS=--import=tsx` would work too but needs the caller's help.)
import { register } from 'tsx/esm/api'

register()
