import { z } from 'zod';
import { RESTRICTION_CATEGORIES, describeIssues, type RestrictionCategory } from '../../config/index.ts';
import data from './plan-fr.json' with { type: 'json' };

/**
 * The French numbering plan as data (french-numbering.md §4.1-§4.7) and the
 * classifier that turns a dialled external number into a restriction
 * category (RES-1). Pure: no I/O. The rules live in plan-fr.json so that an
 * updated plan can ship without a code change; an override file is checked
 * with parseNumberingPlan. docs/outgoing.md explains the categories.
 */

export type NumberCategory = 'emergency' | RestrictionCategory | 'unknown';

export interface Classification {
  category: NumberCategory;
  /** id of the rule that matched, e.g. 'emergency', 'free-0800', 'dom-fixed', 'premium-3bpq', 'fail-closed' — logged to explain a refusal */
  rule: string;
  /** international and comTom: the country code (e.g. '44', '508') */
  countryCode?: string;
}

const digits = (min: number, max: number) => z.string().regex(new RegExp(`^\\d{${min},${max}}$`), `${min} to ${max} digits`);
const countryCode = z.string().regex(/^[1-9]\d{0,2}$/, 'a country code: 1 to 3 digits, not starting with 0');

/** A regular expression source: anchored ^...$, compiles, not too long. */
const anchoredRegex = z
  .string()
  .max(500)
  .refine((s) => s.startsWith('^') && s.endsWith('$'), 'must be anchored: start with ^ and end with $')
  .refine((s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid regular expression');

const matchSchema = z.discriminatedUnion('kind', [
  /** Exact numbers (short numbers, emergency list). */
  z.strictObject({ kind: z.literal('exact'), numbers: z.array(digits(2, 15)).min(1) }),
  /** Any number starting with one of the prefixes and exactly `length` digits long. */
  z.strictObject({ kind: z.literal('prefix'), prefixes: z.array(digits(1, 14)).min(1), length: z.int().min(2).max(17) }),
  /** A JavaScript regular expression on the whole normalised number. */
  z.strictObject({ kind: z.literal('regex'), pattern: anchoredRegex }),
  /** The trunk operator's short numbers: config outgoing.operatorServices (§4.3). */
  z.strictObject({ kind: z.literal('operatorServices') }),
  /** "00" + a country code of the plan's list (restricted to `countryCodes` when given) + subscriber number. */
  z.strictObject({ kind: z.literal('international'), countryCodes: z.array(countryCode).min(1).optional() }),
]);

const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lower-case letters, digits and dashes'),
  /** 'unknown' is not a rule category: it is what remains when no rule matches (fail closed). */
  category: z.enum(['emergency', ...RESTRICTION_CATEGORIES]),
  note: z.string().max(500).optional(),
  match: matchSchema,
});

const planSchema = z
  .strictObject({
    version: z.string().min(1).max(64),
    source: z.string().max(500).optional(),
    international: z.strictObject({
      prefix: z.literal('00'),
      /** Digits after the country code, at least. */
      minSubscriberDigits: z.int().min(1).max(14),
      /** Country code + subscriber number, at most (E.164: 15). */
      maxDigitsAfterPrefix: z.int().min(4).max(17),
    }),
    /** ITU-T E.164 country codes, found by longest prefix. */
    countryCodes: z.array(countryCode).min(1),
    /** Evaluated top-down, first match wins (§4.7). */
    rules: z.array(ruleSchema).min(1).max(200),
  })
  .superRefine((p, ctx) => {
    const ids = new Set<string>();
    p.rules.forEach((r, i) => {
      if (ids.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `rule id ${r.id} is used twice` });
      ids.add(r.id);
      if (r.match.kind === 'international') {
        r.match.countryCodes?.forEach((cc, j) => {
          if (!p.countryCodes.includes(cc))
            ctx.addIssue({ code: 'custom', path: ['rules', i, 'match', 'countryCodes', j], message: `${cc} is not in countryCodes` });
        });
      }
      if (r.match.kind === 'prefix') {
        const len = r.match.length;
        r.match.prefixes.forEach((pre, j) => {
          if (pre.length > len)
            ctx.addIssue({ code: 'custom', path: ['rules', i, 'match', 'prefixes', j], message: `prefix ${pre} is longer than the length ${len}` });
        });
      }
    });
    if (p.rules[0]?.category !== 'emergency')
      ctx.addIssue({ code: 'custom', path: ['rules', 0, 'category'], message: 'the first rule must be the emergency numbers (§4.1: emergency first, always)' });
  });

export type PlanRule = z.infer<typeof ruleSchema>;
export type RuleMatch = z.infer<typeof matchSchema>;

export interface NumberingPlan {
  version: string;
  source?: string | undefined;
  international: { prefix: '00'; minSubscriberDigits: number; maxDigitsAfterPrefix: number };
  countryCodes: string[];
  rules: PlanRule[];
}

/** The core of the ARCEP emergency list: a plan that does not classify these as emergency is refused. */
const MUST_BE_EMERGENCY = ['15', '17', '18', '112'] as const;

/**
 * Validate a numbering plan (the builtin one, or an override file): shape,
 * categories, anchored regexes that compile, unique rule ids, emergency first.
 * The reason names the first bad field, e.g. "rules.9.match.pattern: is not a valid regular expression".
 */
export function parseNumberingPlan(raw: unknown): { ok: true; plan: NumberingPlan } | { ok: false; reason: string } {
  const r = planSchema.safeParse(raw);
  if (!r.success) return { ok: false, reason: describeIssues(r.error) };
  const plan: NumberingPlan = r.data;
  for (const n of MUST_BE_EMERGENCY) {
    const c = classify(n, plan, []);
    if (c.category !== 'emergency') return { ok: false, reason: `rules: ${n} must classify as emergency (it is ${c.category}, rule ${c.rule})` };
  }
  return { ok: true, plan };
}

/** The plan's rules with their regexes compiled once. */
interface Compiled {
  countryCodes: Set<string>;
  rules: Array<{ rule: PlanRule; test: (n: string, operatorServices: readonly string[]) => string | true | false }>;
}

const compiledPlans = new WeakMap<NumberingPlan, Compiled>();

function compile(plan: NumberingPlan): Compiled {
  const cached = compiledPlans.get(plan);
  if (cached) return cached;
  const countryCodes = new Set(plan.countryCodes);
  const intl = plan.international;
  /** The country code of an international number, or undefined when it is not one (or has a bad length). */
  const countryOf = (n: string): string | undefined => {
    if (!n.startsWith(intl.prefix)) return undefined;
    const rest = n.slice(intl.prefix.length);
    if (!/^\d+$/.test(rest) || rest.length > intl.maxDigitsAfterPrefix) return undefined;
    for (let len = 3; len >= 1; len--) {
      const cc = rest.slice(0, len);
      if (cc.length === len && countryCodes.has(cc)) return rest.length - len >= intl.minSubscriberDigits ? cc : undefined;
    }
    return undefined;
  };
  const rules = plan.rules.map((rule) => {
    const m = rule.match;
    let test: (n: string, ops: readonly string[]) => string | true | false;
    switch (m.kind) {
      case 'exact': {
        const set = new Set(m.numbers);
        test = (n) => set.has(n);
        break;
      }
      case 'prefix':
        test = (n) => n.length === m.length && m.prefixes.some((p) => n.startsWith(p));
        break;
      case 'regex': {
        const re = new RegExp(m.pattern);
        test = (n) => re.test(n);
        break;
      }
      case 'operatorServices':
        test = (n, ops) => ops.includes(n);
        break;
      case 'international': {
        const only = m.countryCodes ? new Set(m.countryCodes) : undefined;
        test = (n) => {
          const cc = countryOf(n);
          if (cc === undefined) return false;
          return only === undefined || only.has(cc) ? cc : false;
        };
        break;
      }
    }
    return { rule, test };
  });
  const c: Compiled = { countryCodes, rules };
  compiledPlans.set(plan, c);
  return c;
}

/** Codes of France's own plan (french-numbering.md §4.6): 00 + code + number is the national "0" + number. */
const FRANCE_CODES = ['33', '262', '590', '594', '596'] as const;

/**
 * Normalise a dialled external number: strips spaces, dots, dashes and
 * parentheses; '+' becomes '00'; France (+33/0033) and the DOM codes (+262,
 * +590, +594, +596) become the national '0' + significant number (a "(0)"
 * trunk prefix after the country code is dropped). Returns undefined for
 * anything else than digits with those separators (and one leading '+').
 */
export function normaliseExternal(raw: string): string | undefined {
  const compact = raw.trim().replace(/[\s.\-()]/g, '');
  if (!/^\+?\d+$/.test(compact)) return undefined;
  let n = compact.startsWith('+') ? `00${compact.slice(1)}` : compact;
  for (const cc of FRANCE_CODES) {
    if (n.startsWith(`00${cc}`) && n.length > cc.length + 2) {
      let nsn = n.slice(cc.length + 2);
      if (nsn.startsWith('0')) nsn = nsn.slice(1); // "+33 (0)1 23..."
      n = `0${nsn}`;
      break;
    }
  }
  return n;
}

const FAIL_CLOSED: Classification = { category: 'unknown', rule: 'fail-closed' };

/**
 * Classify a normalised external number: first matching rule wins (§4.7).
 * `operatorServices` is config.outgoing.operatorServices. Anything that
 * matches no rule is 'unknown' with rule 'fail-closed'. Never throws.
 */
export function classify(number: string, plan: NumberingPlan, operatorServices: readonly string[]): Classification {
  const n = normaliseExternal(number);
  if (n === undefined || n.length > 20) return { ...FAIL_CLOSED };
  const compiled = compile(plan);
  for (const { rule, test } of compiled.rules) {
    const r = test(n, operatorServices);
    if (r === false) continue;
    const c: Classification = { category: rule.category, rule: rule.id };
    if (typeof r === 'string') c.countryCode = r;
    return c;
  }
  return { ...FAIL_CLOSED };
}

// Last in the module: validating runs classify, which needs the constants above.
function loadBuiltin(): NumberingPlan {
  const r = parseNumberingPlan(data);
  if (!r.ok) throw new Error(`builtin numbering plan plan-fr.json is invalid: ${r.reason}`);
  return r.plan;
}

/** The plan shipped with the firmware (plan-fr.json). */
export const BUILTIN_PLAN: NumberingPlan = loadBuiltin();
