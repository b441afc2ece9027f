import { get } from '../api.js';
import { h, kv, section, table, td, fmtDuration } from '../dom.js';
import { t } from '../i18n.js';

export async function render(el) {
  const d = await get('dashboard');
  const calls = d.calls ?? { count: 0, list: [] };
  const callRows = (calls.list ?? []).map((c) =>
    h('tr', null, td(String(c.caller?.number ?? c.from ?? '')), td(String(c.callee?.number ?? c.to ?? '')), td(String(c.state ?? '')), td(c.durationSeconds !== undefined ? fmtDuration(c.durationSeconds) : '')),
  );
  const parts = [
    h('h1', { text: t('dashboard') }),
    h(
      'div',
      { class: 'grid' },
      section(t('phonesRegistered'), h('p', { class: 'big', dataset: { test: 'phones' } }, `${d.phones.registered} ${t('of')} ${d.phones.total}`)),
      section(t('currentCalls'), h('p', { class: 'big', text: String(calls.count ?? 0) })),
      section(t('trunk'), kv(d.trunk)),
      section(t('dsl'), kv(d.dsl)),
      section(t('plc'), kv(d.plc)),
      section(t('leds'), Array.isArray(d.leds) ? h('ul', { class: 'leds' }, d.leds.map((l) => h('li', null, h('span', { class: l.lit ? 'dot on' : 'dot off', text: `${l.role} : ${l.pattern}` }), l.reason ? ` – ${l.reason}` : ''))) : kv(d.leds)),
    ),
  ];
  // The calls in progress, with their parties (the console's `calls`), when there are any.
  if (callRows.length) parts.push(section(t('currentCalls'), table([t('from'), t('to'), t('state'), t('duration')], callRows)));
  el.append(...parts);
}
