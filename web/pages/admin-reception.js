import { get, post } from '../api.js';
import { h, clear, field, input, checkbox, select, section, form, values, orNull, table, td, dangerButton } from '../dom.js';
import { t } from '../i18n.js';
import { uploadForm } from '../upload.js';

const fileLine = (f) => h('p', { class: 'file-state', text: f ? t('currentFile', { f }) : t('noFile') });

export async function render(el) {
  const [rec, phones, groups, schedules, profiles] = await Promise.all([get('reception show'), get('phone list'), get('group list'), get('schedule list'), get('restriction list')]);
  const phoneOpts = [['', '—'], ...phones.map((p) => [p.internalNumber, `${p.internalNumber} ${p.firstName} ${p.lastName}`.trim()])];
  const refresh = async () => {
    clear(el);
    await render(el);
  };

  // état de l'accueil client (NUM-1, INB-1, INB-2)
  const state = form(
    '',
    [
      field(t('receptionPhone'), select('phone', phoneOpts, rec.phone ? rec.phone.internalNumber : '')),
      field(t('ringsBeforeOverflow'), input('rings', rec.ringsBeforeOverflow, { type: 'number', min: '1', max: '10' })),
      checkbox(t('forwardAll'), 'fwdEnabled', rec.forwardAll.enabled),
      field(t('destination'), input('fwdDest', rec.forwardAll.destination ?? '')),
    ],
    async (f) => {
      const v = values(f);
      await post('reception update', {
        phone: orNull(v.phone),
        ringsBeforeOverflow: Number(v.rings),
        forwardAll: { enabled: v.fwdEnabled, destination: orNull(v.fwdDest) },
      });
    },
  );

  // pré-décroché (VOX-4)
  const pa = rec.announcements.preAnswer;
  const preAnswer = form(
    '',
    [
      fileLine(pa.file),
      checkbox(t('preAnswerOn'), 'enabled', pa.enabled),
      field(t('preAnswerMode'), select('mode', [['while-ringing', t('whileRinging')], ['before-ringing', t('beforeRinging')]], pa.mode)),
    ],
    async (f) => {
      const v = values(f);
      await post('reception update', { announcements: { preAnswer: { enabled: v.enabled, mode: v.mode } } });
    },
  );
  const preUpload = uploadForm(t('preAnswer'), (data) => post('announcement import', { kind: 'pre-answer', data }).then(afterUpload));
  const holdUpload = uploadForm(t('holdMusic'), (data) => post('announcement import', { kind: 'hold-music', data }).then(afterUpload));
  const attUpload = uploadForm(t('welcomePrompt'), (data) => post('announcement import', { kind: 'attendant', data }).then(afterUpload));
  function afterUpload(r) {
    setTimeout(() => void refreshFiles(), 0);
    return r;
  }
  const files = { pa: fileLine(pa.file), hold: fileLine(rec.announcements.holdMusic), att: fileLine(rec.autoAttendant.prompt) };
  async function refreshFiles() {
    const r = await get('reception show');
    files.pa.replaceWith((files.pa = fileLine(r.announcements.preAnswer.file)));
    files.hold.replaceWith((files.hold = fileLine(r.announcements.holdMusic)));
    files.att.replaceWith((files.att = fileLine(r.autoAttendant.prompt)));
  }
  preAnswer.querySelector('.file-state').replaceWith(files.pa);

  el.append(
    h('h1', { text: t('reception') }),
    section(t('receptionState'), state),
    section(t('preAnswer'), preAnswer, preUpload),
    section(t('dayNight'), scheduleEditor(schedules, groups, refresh)),
    section(t('holdMusic'), files.hold, holdUpload),
    section(t('attendant'), attendantForm(rec.autoAttendant, profiles, files.att), attUpload),
  );
}

function scheduleEditor(schedules, groups, refresh) {
  const targets = [['main', t('mainNumber')], ...groups.map((g) => [g.internalNumber, `${t('group')} ${g.internalNumber} ${g.name}`])];
  const targetName = (x) => (targets.find((o) => o[0] === x) ?? [x, x])[1];
  const days = t('days');
  const list = table(
    [t('target'), t('enabled'), t('daySlots'), t('nightDestination'), t('override'), ''],
    schedules.map((s) =>
      h(
        'tr',
        null,
        td(targetName(s.target)),
        td(s.enabled ? t('yes') : t('no')),
        td(s.daySlots.map((sl) => `${sl.days.map((d) => days[d]).join(' ')} ${sl.from}-${sl.to}`).join(' ; ')),
        td(s.nightDestination),
        td(t(s.override)),
        td([
          h('button', { type: 'button', class: 'link-button', text: t('edit'), onclick: () => load(s) }),
          ' ',
          dangerButton(t('remove'), () => t('confirmRemove', { x: targetName(s.target) }), async () => {
            await post('schedule remove', { target: s.target });
            await refresh();
          }),
        ]),
      ),
    ),
    { class: 'schedules' },
  );
  const slots = h('div', { class: 'slots' });
  const addSlot = (sl = { days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' }) => {
    const n = slots.children.length + 1;
    const row = h(
      'fieldset',
      { class: 'slot' },
      h('legend', { text: `${t('daySlots')} ${n}` }),
      h('div', { class: 'days' }, days.map((d, i) => checkbox(d, `day${i}`, sl.days.includes(i), { class: 'day' }))),
      h('div', { class: 'row' }, field(t('slotFrom'), input('from', sl.from, { type: 'time', class: 'slot-from' })), field(t('slotTo'), input('to', sl.to, { type: 'time', class: 'slot-to' }))),
      h('button', { type: 'button', class: 'link-button danger', text: t('remove'), onclick: () => row.remove() }),
    );
    slots.append(row);
  };
  const target = select('target', targets, 'main');
  const f = form(
    t('newSchedule'),
    [
      field(t('target'), target),
      checkbox(t('enabled'), 'enabled', true),
      field(t('nightDestination'), input('night', 'voicemail')),
      checkbox(t('holidaysNight'), 'holidays', true),
      field(t('override'), select('override', [['auto', t('auto')], ['day', t('day')], ['night', t('night')]], 'auto')),
      slots,
      h('button', { type: 'button', class: 'add-slot', text: t('addSlot'), onclick: () => addSlot() }),
    ],
    async (el) => {
      const daySlots = [...slots.querySelectorAll('.slot')].map((row) => ({
        days: [...row.querySelectorAll('input.day')].map((c, i) => (c.checked ? i : -1)).filter((i) => i >= 0),
        from: row.querySelector('.slot-from').value,
        to: row.querySelector('.slot-to').value,
      }));
      const v = values(el);
      await post('schedule set', { target: v.target, enabled: v.enabled, daySlots, nightDestination: v.night, holidaysAreNight: v.holidays, override: v.override });
      setTimeout(() => void refresh(), 600);
    },
    t('save'),
    { class: 'schedule-form' },
  );
  function load(s) {
    f.elements.target.value = s.target;
    f.elements.enabled.checked = s.enabled;
    f.elements.night.value = s.nightDestination;
    f.elements.holidays.checked = s.holidaysAreNight;
    f.elements.override.value = s.override;
    clear(slots);
    for (const sl of s.daySlots) addSlot(sl);
    f.scrollIntoView({ block: 'nearest' });
  }
  addSlot();
  return h('div', null, h('h3', { text: t('schedules') }), list, f);
}

function attendantForm(aa, profiles, fileState) {
  const keys = h('div', { class: 'aa-keys' });
  const addKey = (k = { digit: String(keys.children.length + 1), action: { kind: 'call', number: '' } }) => {
    const kind = select('kind', [['call', t('call')], ['voicemail', t('voicemailOf')], ['repeat', t('repeat')]], k.action.kind, { class: 'aa-kind' });
    const num = input('num', k.action.number ?? k.action.internalNumber ?? '', { class: 'aa-number' });
    const row = h(
      'fieldset',
      { class: 'aa-key' },
      h('legend', { text: `${t('digit')} ${k.digit}` }),
      h(
        'div',
        { class: 'row' },
        field(t('digit'), select('digit', '0123456789*#'.split('').map((d) => [d, d]), k.digit, { class: 'aa-digit' })),
        field(t('action'), kind),
        field(t('number'), num),
      ),
      h('button', { type: 'button', class: 'link-button danger', text: t('remove'), onclick: () => row.remove() }),
    );
    keys.append(row);
  };
  for (const k of aa.keys) addKey(k);
  return form(
    '',
    [
      fileState,
      checkbox(t('attendantOn'), 'enabled', aa.enabled),
      field(t('name'), input('name', aa.name)),
      field(t('restrictionProfile'), select('profile', profiles.map((p) => [p.id, `${p.id} – ${p.name}`]), aa.restrictionProfile)),
      field(t('internalNumber'), input('internal', aa.internalNumber ?? '', { inputmode: 'numeric' })),
      field(t('externalNumber'), input('external', aa.externalNumber ?? '', { inputmode: 'tel' })),
      h('h3', { text: t('keys') }),
      keys,
      h('button', { type: 'button', text: t('addKey'), onclick: () => addKey() }),
    ],
    async (f) => {
      const v = values(f);
      const list = [...keys.querySelectorAll('.aa-key')].map((row) => {
        const kind = row.querySelector('.aa-kind').value;
        const number = row.querySelector('.aa-number').value.trim();
        const action = kind === 'call' ? { kind, number } : kind === 'voicemail' ? { kind, internalNumber: number } : { kind };
        return { digit: row.querySelector('.aa-digit').value, action };
      });
      await post('reception update', {
        autoAttendant: { enabled: v.enabled, name: v.name, restrictionProfile: Number(v.profile), internalNumber: orNull(v.internal), externalNumber: orNull(v.external), keys: list },
      });
    },
  );
}
