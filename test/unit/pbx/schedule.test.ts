/**
 * GRP-5 day/night service: Easter and the French public holidays, wall-clock
 * time across the Paris DST changes, the order of the rules (disabled,
 * override, holiday, slots) and the slot boundaries, including slots that
 * cross midnight. Every instant is built with Date.UTC, so nothing depends on
 * the machine's own time zone.
 */
import test from 'ava';
import fc from 'fast-check';
import { scheduleSchema } from '../../../firmware/config/index.ts';
import { easterSunday, frenchPublicHolidays, localTime, scheduleMode, type Schedule } from '../../../firmware/pbx/schedule.ts';

const HOUR = 3_600_000;
const PARIS = 'Europe/Paris';

/** A Paris wall-clock instant in winter (CET, UTC+1): `winter('2026-01-13', '08:00')`. */
const winter = (date: string, hhmm: string): number => {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [h, min] = hhmm.split(':').map(Number) as [number, number];
  return Date.UTC(y, m - 1, d, h, min) - HOUR;
};

/** A schedule through the real config schema, so its defaults are the shipped ones. */
const schedule = (over: Partial<Record<keyof Schedule, unknown>> = {}): Schedule =>
  scheduleSchema.parse({ target: 'main', enabled: true, nightDestination: 'voicemail', ...over });

const OFFICE = [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' }];

// --- Easter -------------------------------------------------------------------------------

const EASTERS: [number, string][] = [
  [2024, '2024-03-31'],
  [2025, '2025-04-20'],
  [2026, '2026-04-05'],
  [2027, '2027-03-28'],
  [2038, '2038-04-25'],
  [2000, '2000-04-23'],
  [2019, '2019-04-21'],
  [1818, '1818-03-22'], // earliest possible date
  [1943, '1943-04-25'], // latest possible date
];
for (const [year, easter] of EASTERS) {
  test(`GRP-5 easterSunday(${year}) is ${easter}`, (t) => {
    t.is(easterSunday(year), easter);
  });
}

test('GRP-5 Easter is always a Sunday between 22 March and 25 April (property)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1583, max: 9999 }), (year) => {
      const easter = easterSunday(year);
      const [y, m, d] = easter.split('-').map(Number) as [number, number, number];
      const day = new Date(Date.UTC(y, m - 1, d));
      return y === year && day.getUTCDay() === 0 && ((m === 3 && d >= 22) || (m === 4 && d <= 25));
    }),
  );
  t.pass();
});

test('GRP-5 easterSunday rejects a non-Gregorian or non-integer year', (t) => {
  t.throws(() => easterSunday(1582), { instanceOf: RangeError });
  t.throws(() => easterSunday(2026.5), { instanceOf: RangeError });
});

// --- holidays -----------------------------------------------------------------------------

test('GRP-5 the 11 French public holidays of 2026', (t) => {
  t.deepEqual(frenchPublicHolidays(2026), [
    '2026-01-01',
    '2026-04-06', // Easter Monday
    '2026-05-01',
    '2026-05-08',
    '2026-05-14', // Ascension
    '2026-05-25', // Whit Monday
    '2026-07-14',
    '2026-08-15',
    '2026-11-01',
    '2026-11-11',
    '2026-12-25',
  ]);
});

test('GRP-5 holidays of 2008: Ascension falls on 1 May (listed twice), the list stays in calendar order', (t) => {
  // Easter 2008 was 23 March: Ascension 1 May (same day as Labour Day), Whit Monday 12 May.
  const days = frenchPublicHolidays(2008);
  t.is(days.length, 11);
  t.deepEqual(days.slice(1, 6), ['2008-03-24', '2008-05-01', '2008-05-01', '2008-05-08', '2008-05-12']);
});

test('GRP-5 every year has 11 holidays in calendar order, Ascension a Thursday, the two Mondays Mondays (property)', (t) => {
  const parse = (iso: string): number => {
    const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  fc.assert(
    fc.property(fc.integer({ min: 1583, max: 9999 }), (year) => {
      const days = frenchPublicHolidays(year);
      const easter = parse(easterSunday(year));
      const moving = [1, 39, 50].map((n) => easter + n * 86_400_000);
      const fixed = ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'].map((md) => `${year}-${md}`);
      const expected = [...fixed, ...moving.map(iso)].sort();
      return (
        days.length === 11 &&
        days.every((d, i) => d === expected[i]) &&
        moving.map((ms) => new Date(ms).getUTCDay()).join() === '1,4,1'
      );
    }),
  );
  t.pass();
});

test('GRP-5 frenchPublicHolidays returns a fresh array (the cache cannot be corrupted)', (t) => {
  const first = frenchPublicHolidays(2026);
  first.length = 0;
  t.is(frenchPublicHolidays(2026).length, 11);
});

// --- localTime ----------------------------------------------------------------------------

const LOCAL: [string, number, string, { date: string; weekday: number; minutes: number }][] = [
  ['winter, CET = UTC+1', Date.UTC(2026, 0, 13, 12, 30), PARIS, { date: '2026-01-13', weekday: 2, minutes: 13 * 60 + 30 }],
  ['summer, CEST = UTC+2', Date.UTC(2026, 6, 14, 12, 30), PARIS, { date: '2026-07-14', weekday: 2, minutes: 14 * 60 + 30 }],
  ['spring forward: 00:59Z is 01:59 local', Date.UTC(2026, 2, 29, 0, 59), PARIS, { date: '2026-03-29', weekday: 0, minutes: 1 * 60 + 59 }],
  ['spring forward: 01:00Z is 03:00 local', Date.UTC(2026, 2, 29, 1, 0), PARIS, { date: '2026-03-29', weekday: 0, minutes: 3 * 60 }],
  ['fall back: 00:59Z is 02:59 CEST', Date.UTC(2026, 9, 25, 0, 59), PARIS, { date: '2026-10-25', weekday: 0, minutes: 2 * 60 + 59 }],
  ['fall back: 01:00Z is 02:00 CET (the repeated hour)', Date.UTC(2026, 9, 25, 1, 0), PARIS, { date: '2026-10-25', weekday: 0, minutes: 2 * 60 }],
  ['local date differs from the UTC date', Date.UTC(2026, 11, 31, 23, 30), PARIS, { date: '2027-01-01', weekday: 5, minutes: 30 }],
  ['midnight is 0 minutes, not 24:00', Date.UTC(2026, 0, 11, 23, 0), PARIS, { date: '2026-01-12', weekday: 1, minutes: 0 }],
  ['Sunday', winter('2026-01-11', '10:00'), PARIS, { date: '2026-01-11', weekday: 0, minutes: 600 }],
  ['Monday', winter('2026-01-12', '10:00'), PARIS, { date: '2026-01-12', weekday: 1, minutes: 600 }],
  ['UTC', Date.UTC(2026, 0, 13, 12, 30), 'UTC', { date: '2026-01-13', weekday: 2, minutes: 12 * 60 + 30 }],
  ['another zone', Date.UTC(2026, 0, 13, 12, 30), 'America/New_York', { date: '2026-01-13', weekday: 2, minutes: 7 * 60 + 30 }],
  ['unknown zone falls back to Europe/Paris', Date.UTC(2026, 0, 13, 12, 30), 'Mars/Olympus_Mons', { date: '2026-01-13', weekday: 2, minutes: 13 * 60 + 30 }],
  ['empty zone falls back to Europe/Paris', Date.UTC(2026, 6, 14, 12, 30), '', { date: '2026-07-14', weekday: 2, minutes: 14 * 60 + 30 }],
];
for (const [name, ms, zone, expected] of LOCAL) {
  test(`GRP-5 localTime: ${name}`, (t) => {
    t.deepEqual(localTime(ms, zone), expected);
  });
}

test('GRP-5 localTime rejects an invalid instant', (t) => {
  t.throws(() => localTime(Number.NaN, PARIS), { instanceOf: RangeError });
  t.throws(() => localTime(9e15, PARIS), { instanceOf: RangeError });
});

const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) });

test('GRP-5 localTime in UTC agrees with Date, and Paris is UTC+1 or UTC+2 (property)', (t) => {
  fc.assert(
    fc.property(instant, (ms) => {
      const d = new Date(ms);
      const utc = localTime(ms, 'UTC');
      const paris = localTime(ms, PARIS);
      const shifted = [HOUR, 2 * HOUR].map((offset) => localTime(ms + offset, 'UTC'));
      return (
        utc.date === d.toISOString().slice(0, 10) &&
        utc.weekday === d.getUTCDay() &&
        utc.minutes === d.getUTCHours() * 60 + d.getUTCMinutes() &&
        shifted.some((s) => s.date === paris.date && s.weekday === paris.weekday && s.minutes === paris.minutes)
      );
    }),
  );
  t.pass();
});

// --- scheduleMode -------------------------------------------------------------------------

const CASES: [string, Schedule, number, string, string, string?][] = [
  // [name, schedule, now, mode, why, zone (default Europe/Paris)]
  ['disabled schedule is day even at night', schedule({ enabled: false, daySlots: OFFICE }), winter('2026-01-13', '23:00'), 'day', 'day: schedule disabled'],
  ['disabled schedule is day even with override night', schedule({ enabled: false, override: 'night' }), winter('2026-01-13', '10:00'), 'day', 'day: schedule disabled'],
  ['override night wins over a slot', schedule({ daySlots: OFFICE, override: 'night' }), winter('2026-01-13', '10:00'), 'night', 'night: override'],
  ['override day wins over a holiday', schedule({ daySlots: OFFICE, override: 'day' }), winter('2026-12-25', '10:00'), 'day', 'day: override'],
  ['override day wins outside the slots', schedule({ daySlots: OFFICE, override: 'day' }), winter('2026-01-13', '23:00'), 'day', 'day: override'],
  ['holiday is night (Christmas, a Friday)', schedule({ daySlots: OFFICE }), winter('2026-12-25', '10:00'), 'night', 'night: public holiday 2026-12-25'],
  ['holiday is night (Ascension, summer time)', schedule({ daySlots: OFFICE }), Date.UTC(2026, 4, 14, 8, 0), 'night', 'night: public holiday 2026-05-14'],
  ['holiday with holidaysAreNight false follows the slots', schedule({ daySlots: OFFICE, holidaysAreNight: false }), winter('2026-12-25', '10:00'), 'day', 'day: in slot 08:00-18:00 (Fri 10:00)'],
  ['the holiday is the local date: 23:30Z on 24 Dec is Christmas in Paris', schedule({ daySlots: [{ days: [4], from: '00:00', to: '00:00' }] }), Date.UTC(2026, 11, 24, 23, 30), 'night', 'night: public holiday 2026-12-25'],
  ['the day after Christmas is not a holiday (26 Dec, Alsace-Moselle only)', schedule({ daySlots: [{ days: [6], from: '00:00', to: '00:00' }] }), winter('2026-12-26', '10:00'), 'day', 'day: in slot 00:00-00:00 (Sat 10:00)'],
  ['enabled with no slots is night', schedule(), winter('2026-01-13', '10:00'), 'night', 'night: no day slots (Tue 10:00)'],
  ['Monday in office hours is day', schedule({ daySlots: OFFICE }), winter('2026-01-12', '10:00'), 'day', 'day: in slot 08:00-18:00 (Mon 10:00)'],
  ['Sunday at the same time is night', schedule({ daySlots: OFFICE }), winter('2026-01-11', '10:00'), 'night', 'night: outside day slots (Sun 10:00)'],
  ['from is inclusive', schedule({ daySlots: OFFICE }), winter('2026-01-13', '08:00'), 'day', 'day: in slot 08:00-18:00 (Tue 08:00)'],
  ['one minute before from is night', schedule({ daySlots: OFFICE }), winter('2026-01-13', '07:59'), 'night', 'night: outside day slots (Tue 07:59)'],
  ['last minute before to is day', schedule({ daySlots: OFFICE }), winter('2026-01-13', '17:59'), 'day', 'day: in slot 08:00-18:00 (Tue 17:59)'],
  ['to is exclusive', schedule({ daySlots: OFFICE }), winter('2026-01-13', '18:00'), 'night', 'night: outside day slots (Tue 18:00)'],
  ['slots follow the wall clock in summer too', schedule({ daySlots: OFFICE }), Date.UTC(2026, 6, 15, 6, 0), 'day', 'day: in slot 08:00-18:00 (Wed 08:00)'],
  ['second slot matches (split day)', schedule({ daySlots: [{ days: [2], from: '08:00', to: '12:00' }, { days: [2], from: '14:00', to: '18:00' }] }), winter('2026-01-13', '15:00'), 'day', 'day: in slot 14:00-18:00 (Tue 15:00)'],
  ['lunch break between the slots is night', schedule({ daySlots: [{ days: [2], from: '08:00', to: '12:00' }, { days: [2], from: '14:00', to: '18:00' }] }), winter('2026-01-13', '12:00'), 'night', 'night: outside day slots (Tue 12:00)'],
];
const NIGHT_SHIFT = [{ days: [5], from: '22:00', to: '06:00' }]; // Friday 22:00 to Saturday 06:00
CASES.push(
  ['midnight slot: start day, before from', schedule({ daySlots: NIGHT_SHIFT }), winter('2026-01-16', '21:59'), 'night', 'night: outside day slots (Fri 21:59)'],
  ['midnight slot: start day, at from', schedule({ daySlots: NIGHT_SHIFT }), winter('2026-01-16', '22:00'), 'day', 'day: in slot 22:00-06:00 (Fri 22:00)'],
  ['midnight slot: start day, 23:59', schedule({ daySlots: NIGHT_SHIFT }), winter('2026-01-16', '23:59'), 'day', 'day: in slot 22:00-06:00 (Fri 23:59)'],
  ['midnight slot: next day, 00:00', schedule({ daySlots: NIGHT_SHIFT }), winter('2026-01-17', '00:00'), 'day', 'day: in slot 22:00-06:00 (Sat 00:00)'],
  ['midnight slot: next day, 05:59', schedule({ daySlots: NIGHT_SHIFT }), winter('2026-01-17', '05:59'), 'day', 'day: in slot 22:00-06:00 (Sat 05:59)'],
  ['midnight slot: next day, at to', schedule({ daySlots: NIGHT_SHIFT }), winter('2026-01-17', '06:00'), 'night', 'night: outside day slots (Sat 06:00)'],
  ['midnight slot: next day evening is not the slot (Saturday not listed)', schedule({ daySlots: NIGHT_SHIFT }), winter('2026-01-17', '23:00'), 'night', 'night: outside day slots (Sat 23:00)'],
  ['midnight slot: the early hours of the listed day belong to the day before', schedule({ daySlots: NIGHT_SHIFT }), winter('2026-01-16', '05:00'), 'night', 'night: outside day slots (Fri 05:00)'],
  ['midnight slot wraps the week: Saturday 22:00 to Sunday', schedule({ daySlots: [{ days: [6], from: '22:00', to: '06:00' }] }), winter('2026-01-18', '03:00'), 'day', 'day: in slot 22:00-06:00 (Sun 03:00)'],
  ['to equal to from: 24 h from from, start', schedule({ daySlots: [{ days: [1], from: '12:00', to: '12:00' }] }), winter('2026-01-12', '12:00'), 'day', 'day: in slot 12:00-12:00 (Mon 12:00)'],
  ['to equal to from: before from on the listed day', schedule({ daySlots: [{ days: [1], from: '12:00', to: '12:00' }] }), winter('2026-01-12', '11:59'), 'night', 'night: outside day slots (Mon 11:59)'],
  ['to equal to from: next day before the same time', schedule({ daySlots: [{ days: [1], from: '12:00', to: '12:00' }] }), winter('2026-01-13', '11:59'), 'day', 'day: in slot 12:00-12:00 (Tue 11:59)'],
  ['to equal to from: next day at the same time', schedule({ daySlots: [{ days: [1], from: '12:00', to: '12:00' }] }), winter('2026-01-13', '12:00'), 'night', 'night: outside day slots (Tue 12:00)'],
  ['unknown zone falls back to Paris: 07:30Z is 08:30 local', schedule({ daySlots: OFFICE }), Date.UTC(2026, 0, 13, 7, 30), 'day', 'day: in slot 08:00-18:00 (Tue 08:30)', 'Nowhere/Atlantis'],
);
for (const [name, sched, now, mode, why, zone = PARIS] of CASES) {
  test(`GRP-5 scheduleMode: ${name}`, (t) => {
    t.deepEqual(scheduleMode(sched, now, zone), { mode, why });
  });
}

test('GRP-5 scheduleMode in an unknown zone answers as Paris, not as UTC', (t) => {
  const sched = schedule({ daySlots: OFFICE });
  const now = Date.UTC(2026, 0, 13, 17, 30); // 18:30 Paris (night), 17:30 UTC (would be day)
  t.is(scheduleMode(sched, now, 'Nowhere/Atlantis').mode, 'night');
  t.is(scheduleMode(sched, now, 'UTC').mode, 'day');
});

// --- properties ---------------------------------------------------------------------------

const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const slot = fc.record({ days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }), from: hhmm, to: hhmm });
const anySchedule = fc
  .record({ daySlots: fc.array(slot, { maxLength: 4 }), holidaysAreNight: fc.boolean(), override: fc.constantFrom('auto', 'day', 'night') })
  .map((s) => schedule(s));
const zone = fc.constantFrom(PARIS, 'UTC', 'America/New_York', 'Asia/Tokyo', 'Nowhere/Atlantis');

test('GRP-5 override night is night and override day is day, at any instant (property)', (t) => {
  fc.assert(
    fc.property(anySchedule, instant, zone, (s, ms, tz) => {
      return (
        scheduleMode({ ...s, override: 'night' }, ms, tz).mode === 'night' &&
        scheduleMode({ ...s, override: 'day' }, ms, tz).mode === 'day' &&
        scheduleMode({ ...s, enabled: false }, ms, tz).mode === 'day'
      );
    }),
  );
  t.pass();
});

test('GRP-5 a slot 00:00-00:00 on every day is day except on holidays (property)', (t) => {
  const allDay = schedule({ daySlots: [{ days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '00:00' }] });
  fc.assert(
    fc.property(instant, (ms) => {
      const holiday = frenchPublicHolidays(Number(localTime(ms, PARIS).date.slice(0, 4))).includes(localTime(ms, PARIS).date);
      const { mode } = scheduleMode(allDay, ms, PARIS);
      const ignoringHolidays = scheduleMode({ ...allDay, holidaysAreNight: false }, ms, PARIS).mode;
      return mode === (holiday ? 'night' : 'day') && ignoringHolidays === 'day';
    }),
  );
  t.pass();
});

test('GRP-5 every minute of a holiday (Paris date) is night with holidaysAreNight (property)', (t) => {
  const allDay = schedule({ daySlots: [{ days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '00:00' }] });
  fc.assert(
    fc.property(fc.integer({ min: 1990, max: 2099 }), fc.nat(10), fc.integer({ min: 0, max: 24 * 60 - 1 }), (year, index, minute) => {
      const date = frenchPublicHolidays(year)[index] as string;
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      // Paris is UTC+1 or UTC+2: exactly one of the two candidates is that wall-clock minute.
      const ms = [HOUR, 2 * HOUR]
        .map((offset) => Date.UTC(y, m - 1, d, 0, minute) - offset)
        .find((c) => localTime(c, PARIS).date === date && localTime(c, PARIS).minutes === minute);
      return ms !== undefined && scheduleMode(allDay, ms, PARIS).why === `night: public holiday ${date}`;
    }),
  );
  t.pass();
});

/**
 * An independent model of the slot rules, on minutes of the week: a slot starting on day d at F
 * lasting (T - F) mod 24 h, or 24 h when T = F, covers [d*1440 + F, d*1440 + F + length) modulo a week.
 */
const coveredByModel = (slots: Schedule['daySlots'], weekday: number, minutes: number): boolean => {
  const WEEK = 7 * 1440;
  const at = weekday * 1440 + minutes;
  return slots.some((s) => {
    const [fh, fm] = s.from.split(':').map(Number) as [number, number];
    const [th, tm] = s.to.split(':').map(Number) as [number, number];
    const from = fh * 60 + fm;
    const to = th * 60 + tm;
    const length = to > from ? to - from : to - from + 1440;
    return s.days.some((d) => (at - (d * 1440 + from) + WEEK) % WEEK < length);
  });
};

test('GRP-5 slots, including those crossing midnight, agree with a minutes-of-the-week model (property)', (t) => {
  fc.assert(
    fc.property(fc.array(slot, { maxLength: 4 }), instant, (daySlots, ms) => {
      const s = schedule({ daySlots, holidaysAreNight: false });
      const d = new Date(ms);
      const expected = coveredByModel(s.daySlots, d.getUTCDay(), d.getUTCHours() * 60 + d.getUTCMinutes()) ? 'day' : 'night';
      return scheduleMode(s, ms, 'UTC').mode === expected;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
