import { get, post } from '../api.js';
import { h, field, input, checkbox, form, values } from '../dom.js';
import { t } from '../i18n.js';

const KINDS = [
  ['unconditional', 'fwdUnconditional'],
  ['busy', 'fwdBusy'],
  ['noAnswer', 'fwdNoAnswer'],
  ['disconnect', 'fwdDisconnect'],
  ['disconnectOrNoAnswer', 'fwdDisconnectNoAnswer'],
];

export async function render(el) {
  const fw = await get('my forwards');
  const f = form(
    '',
    [
      KINDS.map(([k, label]) =>
        h(
          'fieldset',
          { class: 'fwd', dataset: { kind: k } },
          h('legend', { text: t(label) }),
          checkbox(t('enabled'), `${k}.enabled`, fw[k].enabled),
          field(t('destination'), input(`${k}.destination`, fw[k].destination ?? '', { autocomplete: 'off' })),
          k === 'noAnswer' ? field(t('rings'), input('noAnswer.rings', fw.noAnswer.rings, { type: 'number', min: '1', max: '12' })) : null,
          fw[k].last ? h('small', { class: 'hint', text: t('last', { d: fw[k].last }) }) : null,
        ),
      ),
      checkbox(t('forwardProtection'), 'forwardProtection', fw.forwardProtection),
      fw.simultaneousRing ? checkbox(`${t('simEnabled')} (${fw.simultaneousRing.mobile ?? ''})`, 'simEnabled', fw.simultaneousRing.enabled) : null,
      fw.mainNumberOnMobile
        ? h(
            'fieldset',
            { class: 'fwd' },
            h('legend', { text: t('mainOnMobile') }),
            checkbox(t('enabled'), 'mainEnabled', fw.mainNumberOnMobile.enabled),
            field(t('mobileNumber'), input('mainMobile', fw.mainNumberOnMobile.mobile ?? '', { inputmode: 'tel' })),
          )
        : null,
    ],
    async (el2) => {
      const v = values(el2);
      const args = { forwardProtection: v.forwardProtection };
      for (const [k] of KINDS) {
        args[k] = { enabled: v[`${k}.enabled`] };
        const d = v[`${k}.destination`];
        if (d && d !== (fw[k].destination ?? '')) args[k].destination = d;
        else if (d && v[`${k}.enabled`]) args[k].destination = d;
      }
      args.noAnswer.rings = Number(v['noAnswer.rings']);
      if (fw.simultaneousRing) args.simultaneousRing = { enabled: v.simEnabled };
      if (fw.mainNumberOnMobile) args.mainNumberOnMobile = { enabled: v.mainEnabled, ...(v.mainMobile ? { mobile: v.mainMobile } : {}) };
      const r = await post('my forwards set', args);
      Object.assign(fw, r);
    },
    t('save'),
    { class: 'forwards-form' },
  );
  el.append(h('h1', { text: t('myForwards') }), f);
}
