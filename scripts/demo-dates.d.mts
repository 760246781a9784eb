export function dayIn(now: Date, timeZone: string): string
export function demoDates(today: string): { holidays: string[]; earlyCloses: Array<{ date: string; stop: string }> }
export function scheduleTimezone(text: string): string
export function withDemoDates(text: string, now?: Date): string
