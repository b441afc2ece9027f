import { get } from '../api.js';
import { h, kv, section } from '../dom.js';
import { t } from '../i18n.js';
import { callsTable } from './user-calls.js';

export async function render(el) {
  const [me, calls, vm, fwd] = await Promise.all([get('my profile'), get('my calls', { pageSize: 5 }), get('my voicemail'), get('my forwards')]);
  const fresh = vm.messages.filter((m) => m.state === 'fresh').length;
  const active = [
    ['unconditional', 'fwdUnconditional'],
    ['busy', 'fwdBusy'],
    ['noAnswer', 'fwdNoAnswer'],
    ['disconnect', 'fwdDisconnect'],
    ['disconnectOrNoAnswer', 'fwdDisconnectNoAnswer'],
  ].filter(([k]) => fwd[k].enabled);
  el.append(
    h('h1', { text: `${t('myDashboard')} – ${me.firstName} ${me.lastName}` }),
    h(
      'div',
      { class: 'grid' },
      section(t('profileTitle'), kv({ [t('internalNumber')]: me.internalNumber, [t('did')]: me.did ?? '—', [t('email')]: me.email ?? '—', [t('login')]: me.login ?? '—', [t('model')]: me.model })),
      section(t('myVoicemail'), h('p', { class: 'big', text: t('newMessages', { n: fresh }) }), h('a', { href: '#/voicemail', text: t('myVoicemail') })),
      section(t('myForwards'), active.length ? h('ul', null, active.map(([k, l]) => h('li', { text: `${t(l)} → ${fwd[k].destination ?? ''}` }))) : h('p', { class: 'muted', text: t('none') })),
    ),
    section(t('lastCalls'), callsTable(calls.rows)),
  );
}
