/**
 * Calendar arithmetic on YYYY-MM-DD strings, without the clock or `Date`: proleptic Gregorian
 * days from 1970-01-01 (H. Hinnant's civil-from-days algorithms).
 */

export function daysFromCivil(date: string): number {
  const [ys, ms, ds] = date.split('-');
  let y = Number(ys);
  const m = Number(ms);
  const d = Number(ds);
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): string {
  const z = Math.floor(days) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** True when the string is a real calendar date (2026-02-30 is not). */
export function isValidDate(date: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && civilFromDays(daysFromCivil(date)) === date;
}

export function addDays(date: string, days: number): string {
  return civilFromDays(daysFromCivil(date) + days);
}

/** The time of day `days` (≥ 0) after midnight of the start date, as HH:MM (to the nearest minute). */
export function clockOf(days: number): string {
  const minutes = Math.round(days * 1440) % 1440;
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * When a round starts, as transcripts, exports and the play screen show it: its date, and in a
 * phase of rounds shorter than a day its time of day too (`2025-01-26 03:00`).
 */
export function roundMoment(round: { readonly date: string; readonly clock: string }): string {
  return round.clock ? `${round.date} ${round.clock}` : round.date;
}
