import { get, post } from '../api.js';
import { h, field, input, checkbox, select, form, values, orNull, tabs, msgBox, showError, showOk } from '../dom.js';
import { t } from '../i18n.js';

const FWD = [
  ['unconditional', 'fwdUnconditional'],
  ['busy', 'fwdBusy'],
  ['noAnswer', 'fwdNoAnswer'],
  ['disconnect', 'fwdDisconnect'],
  ['disconnectOrNoAnswer', 'fwdDisconnectNoAnswer'],
];

export async function render(el, params) {
  const ref = params[0];
  let p = await get('phone show', { phone: ref });
  const profiles = await get('restriction list');
  const save = async (patch) => {
    p = await post('phone update', { phone: p.mac, ...patch });
  };
  const view = tabs([
    ['general', t('general'), (panel) => panel.append(general())],
    ['voicemail', t('voicemail'), (panel) => panel.append(voicemail())],
    ['services', t('services'), (panel) => panel.append(services())],
    ['restrictions', t('restrictions'), (panel) => panel.append(restrictions())],
    ['simring', t('simRing'), (panel) => panel.append(simRing())],
  ]);
  el.append(
    h('p', { class: 'no-print' }, h('a', { href: '#/users/list', text: '← ' + t('userList') })),
    h('h1', { text: `${t('phoneRecord')} ${p.internalNumber}` }),
    h('p', { class: 'hint', text: `${p.mac} · ${p.model}${p.did ? ' · ' + p.did : ''}` }),
    view,
  );
  await view.ready;

  function general() {
    const resetBox = msgBox();
    const loginLine = h('p', { class: 'hint', text: p.hasUserWeb ? t('userLogin', { l: `${p.firstName}.${p.lastName}` }) : t('noUserWeb') });
    const idChoices = [['main', t('idMain')], ['secret', t('idSecret')], ...(p.did ? [['did', t('idDid')], ['company', t('idCompany')], ['group', t('idGroup')]] : [])];
    return h(
      'div',
      null,
      form(
        '',
        [
          field(t('lastName'), input('lastName', p.lastName, { autocomplete: 'off' })),
          field(t('firstName'), input('firstName', p.firstName, { autocomplete: 'off' })),
          field(t('email'), input('email', p.email ?? '', { type: 'email' })),
          field(t('presentedIdentity'), select('presentedIdentity', idChoices, p.presentedIdentity)),
          field(t('presentedGroup'), input('presentedGroup', p.presentedGroup ?? '', { inputmode: 'numeric' })),
        ],
        async (f) => {
          const v = values(f);
          await save({ lastName: v.lastName, firstName: v.firstName, email: orNull(v.email), presentedIdentity: v.presentedIdentity, presentedGroup: orNull(v.presentedGroup) });
          loginLine.textContent = p.hasUserWeb ? t('userLogin', { l: `${p.firstName}.${p.lastName}` }) : t('noUserWeb');
        },
        t('save'),
        { class: 'general-form' },
      ),
      loginLine,
      h('button', {
        type: 'button',
        class: 'reset-password',
        text: t('resetPassword'),
        onclick: async () => {
          try {
            const r = await post('phone reset-password', { phone: p.mac });
            showOk(resetBox, t('resetDone', { n: r.internalNumber }));
          } catch (err) {
            showError(resetBox, err);
          }
        },
      }),
      resetBox,
    );
  }

  function voicemail() {
    return form(
      '',
      [
        checkbox(t('vmEnabled'), 'enabled', p.voicemail.enabled),
        checkbox(t('vmEmail'), 'emailEnabled', p.voicemail.emailEnabled),
        field(t('pin'), input('pin', '', { inputmode: 'numeric', autocomplete: 'off' }), p.voicemail.pinSet ? t('pinSet') : undefined),
        p.voicemail.pinSet ? checkbox(t('clearPin'), 'clearPin', false) : null,
      ],
      async (f) => {
        const v = values(f);
        const vm = { enabled: v.enabled, emailEnabled: v.emailEnabled };
        if (v.pin) vm.pin = v.pin;
        else if (v.clearPin) vm.pin = null;
        await save({ voicemail: vm });
        f.elements.pin.value = '';
      },
    );
  }

  function services() {
    const vp = [0, 1, 2, 3, 4, 5].map((n) => [n, String(n)]);
    return form(
      '',
      [
        checkbox(t('callWaiting'), 'callWaiting', p.callWaiting),
        checkbox(t('automaticCallback'), 'automaticCallback', p.automaticCallback),
        checkbox(t('hideIdentity'), 'hideIdentity', p.hideIdentity),
        checkbox(t('hideIdentityOnInternalForward'), 'hideIdentityOnInternalForward', p.hideIdentityOnInternalForward),
        checkbox(t('successiveForwarding'), 'successiveForwarding', p.successiveForwarding),
        checkbox(t('standardOptOut'), 'standardOverflowOptOut', p.standardOverflowOptOut),
        checkbox(t('forwardProtection'), 'forwardProtection', p.forwardProtection),
        field(t('forwardedCallerId'), select('forwardedCallerId', [['main', t('fcMain')], ['first-caller', t('fcFirst')], ['initiator', t('fcInitiator')]], p.forwardedCallerId)),
        field(t('voicePresentation'), select('voicePresentation', vp, p.voicePresentation)),
        FWD.map(([k, label]) =>
          h(
            'fieldset',
            { class: 'fwd' },
            h('legend', { text: t(label) }),
            checkbox(t('enabled'), `${k}.enabled`, p.forwards[k].enabled),
            field(t('destination'), input(`${k}.destination`, p.forwards[k].destination ?? '')),
            k === 'noAnswer' ? field(t('rings'), input('noAnswer.rings', p.forwards.noAnswer.rings, { type: 'number', min: '1', max: '12' })) : null,
          ),
        ),
      ],
      async (f) => {
        const v = values(f);
        const forwards = {};
        for (const [k] of FWD) {
          forwards[k] = { enabled: v[`${k}.enabled`], destination: orNull(v[`${k}.destination`]) };
          if (k === 'noAnswer') forwards[k].rings = Number(v['noAnswer.rings']);
        }
        await save({
          callWaiting: v.callWaiting,
          automaticCallback: v.automaticCallback,
          hideIdentity: v.hideIdentity,
          hideIdentityOnInternalForward: v.hideIdentityOnInternalForward,
          successiveForwarding: v.successiveForwarding,
          standardOverflowOptOut: v.standardOverflowOptOut,
          forwardProtection: v.forwardProtection,
          forwardedCallerId: v.forwardedCallerId,
          voicePresentation: Number(v.voicePresentation),
          forwards,
        });
      },
    );
  }

  function restrictions() {
    const opts = profiles.map((x) => [x.id, `${x.id} – ${x.name}`]);
    return form('', [field(t('ownProfile'), select('own', opts, p.restrictionProfile)), field(t('forwardProfile'), select('fwd', opts, p.forwardRestrictionProfile))], async (f) => {
      const v = values(f);
      await save({ restrictionProfile: Number(v.own), forwardRestrictionProfile: Number(v.fwd) });
    });
  }

  function simRing() {
    const s = p.simultaneousRing;
    const m = p.mainNumberOnMobile;
    return form(
      '',
      [
        checkbox(t('simAllowed'), 'allowed', s.allowed, { disabled: !p.did && !s.allowed }),
        checkbox(t('simEnabled'), 'enabled', s.enabled),
        field(t('mobileNumber'), input('mobile', s.mobile ?? '', { inputmode: 'tel' })),
        p.did ? null : checkbox(t('mainOnMobile'), 'mainEnabled', m.enabled),
        p.did ? null : field(`${t('mainOnMobile')} – ${t('mobileNumber')}`, input('mainMobile', m.mobile ?? '', { inputmode: 'tel' })),
      ],
      async (f) => {
        const v = values(f);
        const patch = { simultaneousRing: { allowed: !!v.allowed, enabled: v.enabled, mobile: orNull(v.mobile) } };
        if (!p.did) patch.mainNumberOnMobile = { enabled: v.mainEnabled, mobile: orNull(v.mainMobile) };
        await save(patch);
      },
    );
  }
}
