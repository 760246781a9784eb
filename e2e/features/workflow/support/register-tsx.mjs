// Cucumber imports support files in order: this one first, so the TypeScript step definitions that
// follow load through tsx's ESM hooks (tsx refuses cucumber's `loader` option, and NODE_OPTIONS
// would need the caller's help).
import { register } from 'tsx/esm/api'

register()
