import type { Config } from '../config/index.ts';

/**
 * GRP-5 day/night service: which service a schedule gives at an instant, with
 * the French public holidays (jours fériés of metropolitan France). Pure: no
 * I/O, no clock, no timers; the caller passes `now` as epoch milliseconds and
 * the zone of `config.system.timezone`.
 */

export type Schedule = Config['schedules'][number];
export type ServiceMode = 'day' | 'night';

const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 24 * 60;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const FALLBACK_ZONES = ['Europe/Paris', 'UTC'] as const;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const isoDate = (y: number, m: number, d: number): string => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;

/** 'YYYY-MM-DD' of a UTC-midnight epoch (used for calendar arithmetic only, never for wall clock). */
const isoOfUtc = (ms: number): string => {
  const d = new Date(ms);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
};

function checkYear(year: number): void {
  // The algorithm is for the Gregorian calendar (from 1583); Date.UTC maps 0..99 to 1900..1999.
  if (!Number.isInteger(year) || year < 1583 || year > 275_000) throw new RangeError(`not a Gregorian year: ${year}`);
}

/** Gregorian Easter Sunday (anonymous Gregorian / Meeus-Jones-Butcher algorithm) as 'YYYY-MM-DD'. */
export function easterSunday(year: number): string {
  checkYear(year);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return isoDate(year, month, day);
}

const holidayCache = new Map<number, readonly string[]>();

/**
 * 'YYYY-MM-DD' dates of the 11 French public holidays (jours fériés, metropolitan France) of a year,
 * in calendar order: 1 Jan, Easter Monday, 1 May, 8 May, Ascension (Easter + 39), Whit Monday
 * (Easter + 50), 14 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec, sorted. Always 11 entries: when Ascension
 * falls on 1 or 8 May (2008: 1 May) that date appears twice. Alsace-Moselle's Good Friday and 26 Dec
 * are not included. Throws a RangeError for a non-integer year or one before 1583.
 */
export function frenchPublicHolidays(year: number): string[] {
  const cached = holidayCache.get(year);
  if (cached) return [...cached];
  const easter = easterSunday(year); // validates the year
  const [ey, em, ed] = easter.split('-').map(Number) as [number, number, number];
  const easterMs = Date.UTC(ey, em - 1, ed);
  const afterEaster = (days: number): string => isoOfUtc(easterMs + days * DAY_MS);
  const fixed = (m: number, d: number): string => isoDate(year, m, d);
  const list = [
    fixed(1, 1),
    afterEaster(1), // Easter Monday
    fixed(5, 1),
    fixed(5, 8),
    afterEaster(39), // Ascension
    afterEaster(50), // Whit Monday
    fixed(7, 14),
    fixed(8, 15),
    fixed(11, 1),
    fixed(11, 11),
    fixed(12, 25),
  ].sort(); // Ascension can fall on 1 or 8 May and Whit Monday in June: keep calendar order
  holidayCache.set(year, list);
  return [...list];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter for the zone, or undefined if the runtime does not know it. */
function formatterFor(timeZone: string): Intl.DateTimeFormat | undefined {
  const known = formatters.get(timeZone);
  if (known) return known;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
      era: 'short', // so a year before 1 AD is not silently shown as positive
    });
  } catch {
    return undefined; // RangeError: invalid time zone
  }
  formatters.set(timeZone, fmt);
  return fmt;
}

/**
 * Wall-clock date, weekday (0 = Sunday) and minutes since midnight at `nowMs` in an IANA time zone
 * (Intl.DateTimeFormat; an unknown zone falls back to 'Europe/Paris', then UTC). Seconds are
 * truncated. Throws a RangeError if `nowMs` is not a valid instant.
 */
export function localTime(nowMs: number, timeZone: string): { date: string; weekday: number; minutes: number } {
  if (Number.isNaN(new Date(nowMs).getTime())) throw new RangeError(`not a valid instant: ${nowMs}`);
  const fmt = formatterFor(timeZone) ?? formatterFor(FALLBACK_ZONES[0]) ?? formatterFor(FALLBACK_ZONES[1]);
  if (!fmt) throw new RangeError('no usable time zone'); // every runtime knows UTC
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(nowMs)) parts[p.type] = p.value;
  const bc = parts.era === 'BC' || parts.era === 'B';
  const year = bc ? 1 - Number(parts.year) : Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const hour = Number(parts.hour) % 24; // defensive: some engines once printed 24 for midnight
  const minute = Number(parts.minute);
  const utcMidnight = new Date(0);
  utcMidnight.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0..99 to 19xx
  return { date: isoDate(year, month, day), weekday: utcMidnight.getUTCDay(), minutes: hour * 60 + minute };
}

const toMinutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

function isFrenchHoliday(date: string): boolean {
  const year = Number(date.slice(0, date.indexOf('-', 1)));
  if (!Number.isInteger(year) || year < 1583 || year > 275_000) return false; // outside the Gregorian range we compute
  return frenchPublicHolidays(year).includes(date);
}

/**
 * Whether a day slot covers wall-clock `minutes` on `weekday`. `from` is inclusive, `to` exclusive.
 * A slot with `to <= from` crosses midnight: it covers the listed day from `from` to 24:00 and the
 * following day from 00:00 to `to` (its `days` name the day it starts); `to === from` is therefore
 * a full 24 hours from `from`.
 */
function slotCovers(slot: Schedule['daySlots'][number], weekday: number, minutes: number): boolean {
  const from = toMinutes(slot.from);
  const to = toMinutes(slot.to);
  if (from < to) return slot.days.includes(weekday) && minutes >= from && minutes < to;
  const yesterday = (weekday + 6) % 7;
  return (slot.days.includes(weekday) && minutes >= from) || (slot.days.includes(yesterday) && minutes < to);
}

/**
 * Which service a schedule gives at `nowMs` in `timeZone`, and why (one short English phrase for
 * logs). In order:
 * 1. a disabled schedule does nothing: day;
 * 2. a manual override ('day' or 'night') wins over everything else;
 * 3. with `holidaysAreNight`, a French public holiday (local date) is night all day;
 * 4. day when a day slot covers the local time (see the slot rules on `slotCovers`), else night.
 * An enabled schedule with no day slots at all is therefore night all the time (but for a 'day' override).
 * Wall-clock times follow DST: a slot 08:00-18:00 is 08:00-18:00 local in winter and in summer.
 */
export function scheduleMode(schedule: Schedule, nowMs: number, timeZone: string): { mode: ServiceMode; why: string } {
  if (!schedule.enabled) return { mode: 'day', why: 'day: schedule disabled' };
  if (schedule.override === 'day' || schedule.override === 'night') return { mode: schedule.override, why: `${schedule.override}: override` };
  const local = localTime(nowMs, timeZone);
  if (schedule.holidaysAreNight && isFrenchHoliday(local.date)) return { mode: 'night', why: `night: public holiday ${local.date}` };
  const at = `${WEEKDAYS[local.weekday]} ${pad(Math.floor(local.minutes / 60))}:${pad(local.minutes % 60)}`;
  if (schedule.daySlots.length === 0) return { mode: 'night', why: `night: no day slots (${at})` };
  const slot = schedule.daySlots.find((s) => slotCovers(s, local.weekday, local.minutes));
  if (slot) return { mode: 'day', why: `day: in slot ${slot.from}-${slot.to} (${at})` };
  return { mode: 'night', why: `night: outside day slots (${at})` };
}
