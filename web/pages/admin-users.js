import { get, post } from '../api.js';
import { h, clear, field, input, checkbox, select, section, form, values, orNull, orUndef, table, td, tabs, dangerButton } from '../dom.js';
import { t } from '../i18n.js';

const CATS = ['free', 'operatorService', 'national', 'lowCapPremium', 'mobile', 'dom', 'comTom', 'premium', 'directory', 'international', 'm2m'];
const phoneLabel = (p) => `${p.internalNumber} ${p.firstName ?? ''} ${p.lastName ?? ''}`.trim();

export async function render(el, params) {
  const view = tabs(
    [
      ['list', t('userList'), phoneList],
      ['association', t('association'), association],
      ['restrictions', t('restrictions'), restrictions],
      ['groups', t('groups'), groupsPanel],
    ],
    params[0],
  );
  el.append(h('h1', { text: t('users') }), view);
  await view.ready;
}

async function phoneList(panel) {
  const [phones, profiles] = await Promise.all([get('phone list'), get('restriction list')]);
  const profileName = (id) => (profiles.find((p) => p.id === id) ?? { name: String(id) }).name;
  const rows = phones.map((p) =>
    h(
      'tr',
      { dataset: { phone: p.internalNumber } },
      td(h('span', { class: p.registered ? 'dot on' : 'dot off', text: p.registered ? t('registered') : t('notRegistered') })),
      td(p.internalNumber),
      td(p.lastName),
      td(p.firstName),
      td(p.did ?? ''),
      td(p.email ?? ''),
      td(p.model),
      td(`${p.restrictionProfile} – ${profileName(p.restrictionProfile)}`),
      td(h('a', { href: `#/phone/${encodeURIComponent(p.internalNumber)}`, text: t('edit'), 'aria-label': `${t('edit')} ${p.internalNumber}` })),
      td(
        dangerButton(
          t('remove'),
          () => t('confirmRemove', { x: phoneLabel(p) }),
          async () => {
            await post('phone remove', { phone: p.internalNumber, confirm: true });
            clear(panel);
            await phoneList(panel);
          },
          `${t('remove')} ${p.internalNumber}`,
        ),
      ),
    ),
  );
  panel.append(table([t('state'), t('internalNumber'), t('lastName'), t('firstName'), t('externalNumber'), t('email'), t('phoneType'), t('callProfile'), t('edit'), t('remove')], rows, { class: 'phones' }));
}

async function association(panel) {
  const phones = await get('phone list');
  panel.append(
    section(
      t('association'),
      h('p', { class: 'hint', text: t('associateHint') }),
      form(
        '',
        [field(t('phone'), select('phone', phones.map((p) => [p.internalNumber, `${phoneLabel(p)} (${p.mac})`]), '')), field(t('newMac'), input('mac', '', { placeholder: '00:08:5d:12:34:56', autocomplete: 'off' }))],
        async (f) => {
          const v = values(f);
          const r = await post('phone associate', { phone: v.phone, mac: v.mac });
          return t('associated', { n: r.internalNumber, m: r.mac });
        },
        t('associate'),
      ),
    ),
  );
}

async function restrictions(panel) {
  const profiles = await get('restriction list');
  panel.append(
    table(
      [t('profile'), t('name'), ...CATS.map((c) => t('cat_' + c))],
      profiles.map((p) => h('tr', null, td(String(p.id)), td(p.name + (p.editable ? ` (${t('editable')})` : '')), CATS.map((c) => td(p.allow[c] ? '✓' : '–', p.allow[c] ? 'yes' : 'no')))),
      { class: 'profiles' },
    ),
  );
  for (const p of profiles.filter((x) => x.editable)) {
    panel.append(
      section(
        `${t('profile')} ${p.id}`,
        form(
          '',
          [field(t('name'), input('name', p.name)), h('div', { class: 'checks' }, CATS.map((c) => checkbox(t('cat_' + c), c, p.allow[c])))],
          async (f) => {
            const v = values(f);
            await post('restriction update', { id: p.id, name: v.name, allow: Object.fromEntries(CATS.map((c) => [c, v[c]])) });
          },
        ),
      ),
    );
  }
}

async function groupsPanel(panel) {
  const [groups, phones] = await Promise.all([get('group list'), get('phone list')]);
  const again = async () => {
    clear(panel);
    await groupsPanel(panel);
  };
  const editorBox = h('div', { class: 'group-editor' });
  const openEditor = (g) => {
    clear(editorBox).append(groupForm(g, phones, again));
    editorBox.scrollIntoView({ block: 'nearest' });
  };
  const rows = groups.map((g) =>
    h(
      'tr',
      { dataset: { group: g.internalNumber } },
      td(g.enabled ? t('active') : t('inactive')),
      td(g.internalNumber),
      td(g.name),
      td(t(g.ringMode)),
      td(g.did ?? ''),
      td(g.standard ? t('standardGroup') : g.members.map((m) => `${m.internalNumber ?? m.mac} ${m.name}`.trim()).join(', ')),
      td(h('button', { type: 'button', class: 'link-button', text: t('edit'), 'aria-label': `${t('edit')} ${g.internalNumber}`, onclick: () => openEditor(g) })),
      td(
        g.standard
          ? ''
          : dangerButton(
              t('remove'),
              () => t('confirmRemove', { x: g.name }),
              async () => {
                await post('group remove', { group: g.internalNumber, confirm: true });
                await again();
              },
              `${t('remove')} ${g.internalNumber}`,
            ),
      ),
    ),
  );
  panel.append(
    table([t('state'), t('internalNumber'), t('name'), t('ringMode'), t('externalNumber'), t('members'), t('edit'), t('remove')], rows, { class: 'groups' }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'new-group', text: t('newGroup'), onclick: () => openEditor(null) })),
    editorBox,
  );
}

/** Create (g = null) or edit a group; members in ring order (sequential). */
function groupForm(g, phones, done) {
  const members = (g?.members ?? []).map((m) => m.internalNumber).filter(Boolean);
  const list = h('ol', { class: 'members' });
  const byNum = new Map(phones.map((p) => [p.internalNumber, p]));
  const draw = () => {
    clear(list);
    members.forEach((m, i) => {
      const label = byNum.has(m) ? phoneLabel(byNum.get(m)) : m;
      list.append(
        h(
          'li',
          { dataset: { member: m } },
          h('span', { text: label }),
          ' ',
          h('button', { type: 'button', class: 'link-button', text: '↑', 'aria-label': `${t('up')} ${label}`, disabled: i === 0, onclick: () => (members.splice(i - 1, 0, members.splice(i, 1)[0]), draw()) }),
          h('button', { type: 'button', class: 'link-button', text: '↓', 'aria-label': `${t('down')} ${label}`, disabled: i === members.length - 1, onclick: () => (members.splice(i + 1, 0, members.splice(i, 1)[0]), draw()) }),
          h('button', { type: 'button', class: 'link-button danger', text: '✕', 'aria-label': `${t('remove')} ${label}`, onclick: () => (members.splice(i, 1), draw()) }),
        ),
      );
    });
  };
  draw();
  const picker = select('pick', phones.map((p) => [p.internalNumber, phoneLabel(p)]), '', { class: 'member-pick' });
  const standard = g?.standard === true;
  return form(
    g ? t('editGroup', { n: g.internalNumber }) : t('newGroup'),
    [
      field(t('name'), input('name', g?.name ?? '', { required: true })),
      standard ? null : field(t('internalNumber'), input('internalNumber', g?.internalNumber ?? '', { inputmode: 'numeric' }), t('autoNumber')),
      standard ? null : field(t('ringMode'), select('ringMode', [['simultaneous', t('simultaneous')], ['sequential', t('sequential')]], g?.ringMode ?? 'simultaneous')),
      field(t('ringSeconds'), input('ringSeconds', g?.ringSecondsPerMember ?? 15, { type: 'number', min: '5', max: '120' })),
      field(t('didOpt'), input('did', g?.did ?? '', { inputmode: 'tel' })),
      standard ? null : checkbox(t('enabled'), 'enabled', g ? g.enabled : true),
      standard
        ? null
        : h(
            'fieldset',
            { class: 'member-editor' },
            h('legend', { text: t('members') }),
            list,
            h('div', { class: 'row' }, field(t('phone'), picker), h('button', { type: 'button', class: 'add-member', text: t('addMember'), onclick: () => (members.includes(picker.value) || !picker.value ? null : (members.push(picker.value), draw())) })),
          ),
    ],
    async (f) => {
      const v = values(f);
      const common = { name: v.name, ringSecondsPerMember: Number(v.ringSeconds) };
      if (g) {
        const patch = { group: g.internalNumber, ...common, did: orNull(v.did) };
        if (!standard) Object.assign(patch, { ringMode: v.ringMode, enabled: v.enabled, members: [...members], ...(v.internalNumber && v.internalNumber !== g.internalNumber ? { internalNumber: v.internalNumber } : {}) });
        await post('group update', patch);
      } else {
        await post('group add', { ...common, ringMode: v.ringMode, enabled: v.enabled, members: [...members], internalNumber: orUndef(v.internalNumber), did: orUndef(v.did) });
      }
      setTimeout(() => void done(), 500);
    },
    t('save'),
    { class: 'group-form' },
  );
}
