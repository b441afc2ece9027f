import { get, post, textToBase64 } from '../api.js';
import { h, clear, field, select, section, form, values, table, td, fmtDate, kv, msgBox, showError, dangerButton } from '../dom.js';
import { t } from '../i18n.js';

export async function render(el, _params, _session, shown) {
  const [accounts, phones] = await Promise.all([get('mobile list'), get('phone list')]);
  const again = async (acc) => {
    clear(el);
    await render(el, [], null, acc);
  };
  const detail = h('div', { class: 'mobile-detail', 'aria-live': 'polite' });
  const box = msgBox();
  const showAccount = (a) => {
    const img = h('img', { class: 'qr', alt: t('qrAlt'), width: '240', height: '240', src: 'data:image/svg+xml;base64,' + textToBase64(a.qrSvg) });
    clear(detail).append(
      section(
        t('qrTitle', { n: `${a.internalNumber} ${a.name}`.trim() }),
        img,
        h('p', { class: 'hint', text: t('qrHint', { d: fmtDate(a.provisioningExpiresAt) }) }),
        kv({ [t('username')]: a.username, [t('password')]: a.password, [t('server')]: `${a.server}:${a.port} (${a.transport})`, [t('domain')]: a.domain }),
      ),
    );
  };
  const rows = accounts.map((a) =>
    h(
      'tr',
      null,
      td(a.internalNumber),
      td(a.name),
      td(a.username),
      td(a.registered ? t('registered') : t('notRegistered')),
      td(fmtDate(a.enabledAt)),
      td(
        h('button', {
          type: 'button',
          class: 'link-button show-qr',
          text: t('show'),
          onclick: async () => {
            try {
              showAccount(await get('mobile show', { phone: a.internalNumber }));
            } catch (err) {
              showError(box, err);
            }
          },
        }),
      ),
      td(
        dangerButton(t('revoke'), () => t('confirmRevoke', { n: a.internalNumber }), async () => {
          try {
            await post('mobile revoke', { phone: a.internalNumber, confirm: true });
            await again();
          } catch (err) {
            showError(box, err);
          }
        }),
      ),
    ),
  );
  const candidates = phones.filter((p) => !p.mobile);
  const enable = form(
    '',
    [field(t('phone'), select('phone', candidates.map((p) => [p.internalNumber, `${p.internalNumber} ${p.firstName} ${p.lastName}`.trim()]), ''))],
    async (f) => {
      const a = await post('mobile enable', { phone: values(f).phone });
      await again(a);
      return false;
    },
    t('enableBtn'),
  );
  el.append(
    h('h1', { text: t('mobile') }),
    section(t('mobileAccounts'), table([t('internalNumber'), t('name'), t('username'), t('state'), t('since'), t('show'), t('revoke')], rows, { class: 'mobile-accounts' }), box),
    section(t('enableMobile'), enable),
    detail,
  );
  if (shown) showAccount(shown);
}
