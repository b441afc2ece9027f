import { get, post } from '../api.js';
import { h, clear, field, input, select, form } from '../dom.js';
import { t } from '../i18n.js';

export async function render(el) {
  const data = await get('my keys');
  const perPage = data.perPage ?? 9;
  const max = data.max ?? 24;
  const pages = Math.ceil(max / perPage);
  /** position -> {kind, target, label}: kept across page switches until saved. */
  const keys = new Map(data.keys.map((k) => [k.position, { kind: k.kind, target: k.target, label: k.label }]));
  let page = 1;
  const grid = h('div', { class: 'keys-grid' });
  const dl = h('datalist', { id: 'key-phones' }, data.phones.map((p) => h('option', { value: p.internalNumber, text: `${p.internalNumber} ${p.name}`.trim() })));
  const pager = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('myKeys') });

  const readPage = () => {
    for (const row of grid.querySelectorAll('.key')) {
      const pos = Number(row.dataset.position);
      const kind = row.querySelector('.key-kind').value;
      const target = row.querySelector('.key-target').value.trim();
      const label = row.querySelector('.key-label').value.trim();
      if (kind === '') keys.delete(pos);
      else keys.set(pos, { kind, target, label });
    }
  };
  const drawPage = () => {
    clear(grid);
    for (const b of pager.children) b.setAttribute('aria-selected', String(Number(b.dataset.page) === page));
    for (let pos = (page - 1) * perPage + 1; pos <= Math.min(max, page * perPage); pos++) {
      const k = keys.get(pos) ?? { kind: '', target: '', label: '' };
      grid.append(
        h(
          'fieldset',
          { class: 'key', dataset: { position: String(pos) } },
          h('legend', { text: t('position', { n: pos }) }),
          field(t('keyKind'), select(`kind${pos}`, [['', t('keyNone')], ['supervision', t('supervision')], ['speed-dial', t('speedDialKey')]], k.kind, { class: 'key-kind' })),
          field(t('keyTarget'), input(`target${pos}`, k.target, { class: 'key-target', list: 'key-phones', inputmode: 'tel', autocomplete: 'off' })),
          field(t('keyLabel'), input(`label${pos}`, k.label, { class: 'key-label', maxlength: '24' })),
        ),
      );
    }
  };
  for (let p = 1; p <= pages; p++)
    pager.append(
      h('button', {
        type: 'button',
        role: 'tab',
        class: 'tab',
        dataset: { page: String(p) },
        text: t('screenPage', { p }),
        onclick: () => {
          readPage();
          page = p;
          drawPage();
        },
      }),
    );
  drawPage();
  const f = form(
    '',
    [pager, grid, dl],
    async () => {
      readPage();
      const list = [...keys.entries()].sort((a, b) => a[0] - b[0]).map(([position, k]) => ({ position, ...k }));
      const r = await post('my keys set', { keys: list });
      keys.clear();
      for (const k of r.keys) keys.set(k.position, { kind: k.kind, target: k.target, label: k.label });
    },
    t('save'),
    { class: 'keys-form' },
  );
  el.append(h('h1', { text: t('myKeys') }), h('p', { class: 'hint', text: t('keysHint') }), f);
}
