import { get, post } from '../api.js';
import { h, clear, field, input, section, form, values, orNull, orUndef, table, td, dangerButton } from '../dom.js';
import { t } from '../i18n.js';

export async function render(el) {
  const entries = await get('directory list');
  const again = async () => {
    clear(el);
    await render(el);
  };
  const matchOf = (e) => (e.speedDial ? { speedDial: e.speedDial } : { name: e.name, number: e.number });
  let editing = null;
  const title = h('h3', { text: t('newContact') });
  const f = form(
    '',
    [title, field(t('name'), input('name', '', { required: true })), field(t('number'), input('number', '', { inputmode: 'tel' })), field(t('speedDial'), input('speedDial', '', { inputmode: 'numeric' }))],
    async (el2) => {
      const v = values(el2);
      if (editing) await post('directory update', { match: matchOf(editing), name: v.name, number: v.number, speedDial: orNull(v.speedDial) });
      else await post('directory add', { name: v.name, number: v.number, speedDial: orUndef(v.speedDial) });
      setTimeout(() => void again(), 500);
    },
    t('save'),
    { class: 'directory-form' },
  );
  const rows = entries.map((e) =>
    h(
      'tr',
      null,
      td(e.name),
      td(e.number),
      td(e.speedDial ?? ''),
      td(
        h('button', {
          type: 'button',
          class: 'link-button',
          text: t('edit'),
          onclick: () => {
            editing = e;
            title.textContent = t('editContact');
            f.elements.name.value = e.name;
            f.elements.number.value = e.number;
            f.elements.speedDial.value = e.speedDial ?? '';
            f.elements.name.focus();
          },
        }),
      ),
      td(
        dangerButton(t('remove'), () => t('confirmRemove', { x: e.name }), async () => {
          await post('directory remove', { match: matchOf(e) });
          await again();
        }),
      ),
    ),
  );
  el.append(h('h1', { text: t('directory') }), table([t('name'), t('number'), t('speedDial'), t('edit'), t('remove')], rows, { class: 'directory' }), section(t('newContact'), f));
}
