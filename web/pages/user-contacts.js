import { get, post } from '../api.js';
import { h, clear, field, input, section, form, values, table, td, dangerButton } from '../dom.js';
import { t } from '../i18n.js';

export async function render(el) {
  const c = await get('my contacts');
  const again = async () => {
    clear(el);
    await render(el);
  };
  const personal = table(
    [t('name'), t('number'), t('remove')],
    c.personal.map((p) =>
      h(
        'tr',
        null,
        td(p.name),
        td(p.number),
        td(
          dangerButton(t('remove'), () => t('confirmRemove', { x: p.name }), async () => {
            await post('my contact remove', { index: p.index });
            await again();
          }),
        ),
      ),
    ),
  );
  const add = form(
    t('addContact'),
    [field(t('name'), input('name', '')), field(t('number'), input('number', '', { inputmode: 'tel' }))],
    async (f) => {
      await post('my contact add', values(f));
      setTimeout(() => void again(), 400);
    },
    t('add'),
  );
  el.append(
    h('h1', { text: t('myContacts') }),
    section(t('companyDirectory'), table([t('name'), t('number'), t('speedDial')], c.directory.map((d) => h('tr', null, td(d.name), td(d.number), td(d.speedDial ?? ''))), { class: 'directory' })),
    section(t('personalContacts'), personal, add),
  );
}
