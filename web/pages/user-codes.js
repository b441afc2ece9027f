import { get } from '../api.js';
import { h, table, td } from '../dom.js';
import { t, getLang } from '../i18n.js';

export async function render(el) {
  const codes = await get('feature-codes');
  const en = getLang() === 'en';
  el.append(h('h1', { text: t('memo') }), table([t('code'), t('meaning')], codes.map((c) => h('tr', null, td(h('code', { text: c.code })), td(en ? c.en : c.fr))), { class: 'codes' }));
}
