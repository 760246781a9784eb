import type { ContractError } from '@core/api/contract'

const STATUS: Record<ContractError['code'], number> = {
  invalid_input: 400,
  parse_error: 400,
  schema_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  busy: 409,
  rate_limited: 429,
  io_error: 500,
  partial_failure: 502,
  unavailable: 503,
  timeout: 504,
  internal: 500,
}

export const httpStatusFor = (e: ContractError): number => STATUS[e.code]
