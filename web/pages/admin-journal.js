import { get } from '../api.js';
import { h, field, select, input, table, td, fmtDate, fmtDuration, msgBox, pagedSearch } from '../dom.js';
import { t } from '../i18n.js';

export function journalTable(rows, opts = {}) {
  return table(
    [t('date'), t('from'), t('to'), t('answeredBy'), t('duration'), t('direction'), t('outcome'), ...(opts.phones ? [t('phone')] : [])],
    rows.map((r) =>
      h(
        'tr',
        null,
        td(fmtDate(r.date ?? r.startedAt)),
        td(r.from),
        td(r.to),
        td(r.answeredBy ?? ''),
        td(fmtDuration(r.durationSeconds)),
        td(t(r.direction)),
        td(t(r.outcome)),
        opts.phones ? td((r.phoneNumbers ?? []).filter(Boolean).join(', ')) : null,
      ),
    ),
    { class: 'journal' },
  );
}

export async function render(el) {
  const phones = await get('phone list');
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const box = msgBox();
  const f = h(
    'form',
    { class: 'form filters no-print', 'aria-label': t('search') },
    h(
      'div',
      { class: 'row' },
      field(t('phone'), select('phone', [['', t('allPhones')], ...phones.map((p) => [p.internalNumber, `${p.internalNumber} ${p.firstName} ${p.lastName}`.trim()])], '')),
      field(t('kind'), select('kind', [['', t('allKinds')], ['missed', t('missed')], ['answered', t('answered')], ['emitted', t('emitted')]], '')),
      field(t('fromDate'), input('from', '', { type: 'date' })),
      field(t('toDate'), input('to', '', { type: 'date' })),
      field(t('pageSize'), select('pageSize', [[10, '10'], [20, '20'], [50, '50']], 10)),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: t('search') }), h('button', { type: 'button', class: 'print-button', text: t('print'), onclick: () => window.print() })),
    box,
  );
  el.append(h('h1', { text: t('journal') }), f, results);
  await pagedSearch(f, results, box, (filters, page) => get('journal search', { ...filters, page }), (rows) => journalTable(rows, { phones: true }));
}
