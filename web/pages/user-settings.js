import { get, post } from '../api.js';
import { h, field, input, checkbox, select, section, form, values, orNull } from '../dom.js';
import { t } from '../i18n.js';
import { passwordForm } from '../app.js';

const ID_LABEL = { did: 'idDid', company: 'idCompany', main: 'idMain', secret: 'idSecret', group: 'idGroup' };

export async function render(el) {
  const s = await get('my settings');
  const f = form(
    '',
    [
      field(t('presentedIdentity'), select('presentedIdentity', s.identityChoices.map((c) => [c, t(ID_LABEL[c] ?? c)]), s.presentedIdentity)),
      s.identityGroups.length ? field(t('presentedGroup'), select('presentedGroup', s.identityGroups.map((g) => [g, g]), s.presentedGroup ?? '')) : null,
      checkbox(t('hideIdentity'), 'hideIdentity', s.hideIdentity),
      checkbox(t('standardOptOut'), 'standardOverflowOptOut', s.standardOverflowOptOut),
      checkbox(t('callWaiting'), 'callWaiting', s.callWaiting),
      checkbox(t('automaticCallback'), 'automaticCallback', s.automaticCallback),
      checkbox(t('hideIdentityOnInternalForward'), 'hideIdentityOnInternalForward', s.hideIdentityOnInternalForward),
      checkbox(t('successiveForwarding'), 'successiveForwarding', s.successiveForwarding),
      field(t('voicePresentation'), select('voicePresentation', [0, 1, 2, 3, 4, 5].map((n) => [n, String(n)]), s.voicePresentation)),
      field(t('email'), input('email', s.email ?? '', { type: 'email', autocomplete: 'email' })),
      checkbox(t('vmEmail'), 'vmEmail', s.voicemail.emailEnabled),
      field(t('pin'), input('pin', '', { inputmode: 'numeric', autocomplete: 'off' }), s.voicemail.pinSet ? t('pinSet') : undefined),
    ],
    async (el2) => {
      const v = values(el2);
      const args = {
        presentedIdentity: v.presentedIdentity,
        hideIdentity: v.hideIdentity,
        standardOverflowOptOut: v.standardOverflowOptOut,
        callWaiting: v.callWaiting,
        automaticCallback: v.automaticCallback,
        hideIdentityOnInternalForward: v.hideIdentityOnInternalForward,
        successiveForwarding: v.successiveForwarding,
        voicePresentation: Number(v.voicePresentation),
        email: orNull(v.email),
        voicemail: { emailEnabled: v.vmEmail, ...(v.pin ? { pin: v.pin } : {}) },
      };
      if (v.presentedGroup) args.presentedGroup = v.presentedGroup;
      await post('my settings set', args);
      el2.elements.pin.value = '';
    },
    t('save'),
    { class: 'settings-form' },
  );
  el.append(h('h1', { text: t('mySettings') }), section(t('mySettings'), f), section(t('password'), passwordForm('my password')));
}
