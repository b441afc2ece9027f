import { get } from '../api.js';
import { h, field, select, table, td, fmtDate, fmtDuration, msgBox, pagedSearch } from '../dom.js';
import { t } from '../i18n.js';

export function callsTable(rows) {
  return table(
    [t('date'), t('from'), t('to'), t('answeredBy'), t('duration'), t('outcome')],
    rows.map((r) => h('tr', null, td(fmtDate(r.startedAt)), td(r.from), td(r.to), td(r.answeredBy ?? ''), td(fmtDuration(r.durationSeconds)), td(`${t(r.outcome)}${r.emitted ? ' (' + t('emitted') + ')' : ''}`))),
    { class: 'calls' },
  );
}

export async function render(el) {
  const results = h('div', { 'aria-live': 'polite' });
  const box = msgBox();
  const f = h(
    'form',
    { class: 'form filters no-print', 'aria-label': t('search') },
    h(
      'div',
      { class: 'row' },
      field(t('kind'), select('kind', [['', t('allKinds')], ['missed', t('missed')], ['answered', t('answered')], ['emitted', t('emitted')]], '')),
      field(t('pageSize'), select('pageSize', [[10, '10'], [20, '20'], [50, '50']], 10)),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: t('search') }), h('button', { type: 'button', text: t('print'), onclick: () => window.print() })),
    box,
  );
  el.append(h('h1', { text: t('myCalls') }), f, results);
  await pagedSearch(f, results, box, (filters, page) => get('my calls', { ...filters, page }), callsTable);
}
