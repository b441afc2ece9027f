import { get, post } from '../api.js';
import { h, field, input, checkbox, select, section, form, values, orNull } from '../dom.js';
import { t } from '../i18n.js';
import { passwordForm } from '../app.js';

export async function render(el) {
  const s = await get('settings show');
  const c = s.company;
  const company = form(
    '',
    [
      field(t('companyName'), input('name', c.name)),
      field(t('mainNumber'), input('mainNumber', c.mainNumber ?? '', { inputmode: 'tel' })),
      field(t('dids'), input('dids', (c.dids ?? []).join(', '))),
      field(t('companyNumber'), input('companyNumber', c.companyNumber ?? '', { inputmode: 'tel' })),
    ],
    async (f) => {
      const v = values(f);
      const dids = v.dids.split(/[,;\s]+/).filter(Boolean);
      await post('settings update', { company: { name: v.name, mainNumber: orNull(v.mainNumber), dids, companyNumber: orNull(v.companyNumber) } });
    },
  );
  const tr = s.trunk;
  const trunk = form(
    '',
    [
      checkbox(t('enabled'), 'enabled', tr.enabled),
      field(t('registrar'), input('registrar', tr.registrar)),
      field(t('port'), input('port', tr.port, { type: 'number', min: '1', max: '65535' })),
      field(t('transport'), select('transport', [['udp', 'UDP'], ['tcp', 'TCP']], tr.transport)),
      field(t('domain'), input('domain', tr.domain)),
      field(t('username'), input('username', tr.username, { autocomplete: 'off' })),
      field(t('authUsername'), input('authUsername', tr.authUsername, { autocomplete: 'off' })),
      field(t('passwordKeep'), input('password', '', { type: 'password', autocomplete: 'new-password' }), tr.passwordSet ? t('passwordIsSet') : undefined),
      checkbox(t('register'), 'register', tr.register),
      field(t('registerExpires'), input('registerExpires', tr.registerExpires, { type: 'number', min: '60' })),
    ],
    async (f) => {
      const v = values(f);
      const patch = { enabled: v.enabled, registrar: v.registrar, port: Number(v.port), transport: v.transport, domain: v.domain, username: v.username, authUsername: v.authUsername, register: v.register, registerExpires: Number(v.registerExpires) };
      if (f.elements.password.value) patch.password = f.elements.password.value;
      await post('settings update', { trunk: patch });
      f.elements.password.value = '';
    },
  );
  const capacity = form('', [field(t('maxExternalCalls'), input('max', s.capacity.maxExternalCalls, { type: 'number', min: '1', max: '60' }))], async (f) => {
    await post('settings update', { capacity: { maxExternalCalls: Number(values(f).max) } });
  });
  const sm = s.smtp;
  const smtp = form(
    '',
    [
      field(t('host'), input('host', sm.host)),
      field(t('port'), input('port', sm.port, { type: 'number', min: '1', max: '65535' })),
      checkbox(t('secure'), 'secure', sm.secure),
      field(t('username'), input('user', sm.user, { autocomplete: 'off' })),
      field(t('passwordKeep'), input('password', '', { type: 'password', autocomplete: 'new-password' }), sm.passwordSet ? t('passwordIsSet') : undefined),
      field(t('mailFrom'), input('from', sm.from, { type: 'email' })),
    ],
    async (f) => {
      const v = values(f);
      const patch = { host: v.host, port: Number(v.port), secure: v.secure, user: v.user, from: v.from };
      if (f.elements.password.value) patch.password = f.elements.password.value;
      await post('settings update', { smtp: patch });
      f.elements.password.value = '';
    },
  );
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const tzInput = input('timezone', s.system.timezone, { list: 'tz-list' });
  const system = form(
    '',
    [field(t('hostname'), input('hostname', s.system.hostname)), field(t('timezone'), tzInput), h('datalist', { id: 'tz-list' }, zones.map((z) => h('option', { value: z })))],
    async (f) => {
      const v = values(f);
      await post('settings update', { system: { hostname: v.hostname, timezone: v.timezone } });
    },
  );
  el.append(
    h('h1', { text: t('settings') }),
    section(t('company'), company),
    section(t('trunk'), trunk),
    section(t('capacity'), capacity),
    section(t('smtp'), smtp),
    section(t('system'), system),
    section(t('adminPassword'), passwordForm('admin password')),
  );
}
