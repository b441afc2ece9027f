import { get } from '../api.js';
import { h, clear, field, select, input, table, td, fmtDate, fmtDuration, msgBox, showError, values, pagedResult } from '../dom.js';
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
  let page = 1;
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
  const load = async () => {
    box.textContent = '';
    box.className = 'msg';
    const v = values(f);
    try {
      const r = await get('journal search', { ...v, page });
      clear(results).append(
        ...pagedResult(r, journalTable(r.rows, { phones: true }), (p) => {
          page = p;
          void load();
        }),
      );
    } catch (err) {
      showError(box, err);
    }
  };
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    page = 1;
    void load();
  });
  el.append(h('h1', { text: t('journal') }), f, results);
  await load();
}
