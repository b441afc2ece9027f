// pbxgate web: one page, hash routes, pages loaded as ES modules (no build, nothing from outside the box).
import { currentSession, login, logout, onAuthProblem, post } from './api.js';
import { h, clear, field, form, values, showError } from './dom.js';
import { t, setLang, getLang, loadLang } from './i18n.js';

const ADMIN_MENU = [
  ['dashboard', 'dashboard', './pages/admin-dashboard.js'],
  ['journal', 'journal', './pages/admin-journal.js'],
  ['reception', 'reception', './pages/admin-reception.js'],
  ['users', 'users', './pages/admin-users.js'],
  ['directory', 'directory', './pages/admin-directory.js'],
  ['settings', 'settings', './pages/admin-settings.js'],
  ['mobile', 'mobile', './pages/admin-mobile.js'],
];
const USER_MENU = [
  ['dashboard', 'myDashboard', './pages/user-dashboard.js'],
  ['calls', 'myCalls', './pages/user-calls.js'],
  ['contacts', 'myContacts', './pages/user-contacts.js'],
  ['forwards', 'myForwards', './pages/user-forwards.js'],
  ['keys', 'myKeys', './pages/user-keys.js'],
  ['settings', 'mySettings', './pages/user-settings.js'],
  ['voicemail', 'myVoicemail', './pages/user-voicemail.js'],
  ['codes', 'memo', './pages/user-codes.js'],
];

let session = null;
const main = () => document.getElementById('main');
const nav = () => document.getElementById('nav');

function menuOf(s) {
  return s && s.role === 'admin' ? ADMIN_MENU : USER_MENU;
}

function setChrome() {
  document.getElementById('brand').textContent = t('appTitle');
  document.getElementById('lang-label').textContent = t('language');
  const logoutBtn = document.getElementById('logout');
  logoutBtn.textContent = t('logout');
  logoutBtn.hidden = !session;
  document.getElementById('who').textContent = session ? session.login : '';
  const toggle = document.getElementById('menu-toggle');
  toggle.hidden = !session || session.mustChangePassword;
  toggle.setAttribute('aria-label', t('menu'));
  const n = clear(nav());
  document.body.classList.toggle('signed-in', !!session);
  if (!session || session.mustChangePassword) return;
  const route = currentRoute();
  const ul = h('ul', null);
  for (const [id, label] of menuOf(session)) {
    const current = route.page === id;
    ul.append(h('li', null, h('a', { href: `#/${id}`, text: t(label), 'aria-current': current ? 'page' : undefined, class: current ? 'current' : undefined })));
  }
  n.append(ul);
}

function currentRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'dashboard', params: parts.slice(1) };
}

function closeMenu() {
  document.body.classList.remove('menu-open');
  document.getElementById('menu-toggle').setAttribute('aria-expanded', 'false');
}

let renderSeq = 0;
async function render() {
  const seq = ++renderSeq;
  closeMenu();
  setChrome();
  const m = clear(main());
  if (!session) return renderLogin(m);
  if (session.mustChangePassword) return renderForcedPassword(m);
  const route = currentRoute();
  const entry = menuOf(session).find((x) => x[0] === route.page) ?? (session.role === 'admin' && route.page === 'phone' ? ['phone', 'phoneRecord', './pages/admin-phone.js'] : null);
  if (!entry) {
    location.hash = '#/dashboard';
    return;
  }
  document.title = `${t(entry[1])} – pbxgate`;
  m.append(h('p', { class: 'loading', text: t('loading') }));
  try {
    const mod = await import(entry[2]);
    if (seq !== renderSeq) return;
    const container = h('div', { class: `page page-${entry[0]}` });
    await mod.render(container, route.params, session);
    if (seq !== renderSeq) return;
    clear(m).append(container);
  } catch (err) {
    if (seq !== renderSeq) return;
    const box = h('p', { class: 'msg' });
    showError(box, err);
    clear(m).append(h('h1', { text: t(entry[1]) }), box);
  }
}

function renderLogin(m) {
  document.title = `${t('loginTitle')} – pbxgate`;
  const user = h('input', { name: 'login', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const f = form(
    '',
    [field(t('login'), user), field(t('password'), pass)],
    async (el) => {
      const v = values(el);
      session = await login(v.login, v.password);
      await render();
      return false;
    },
    t('signIn'),
    { class: 'login-form' },
  );
  m.append(h('section', { class: 'card login' }, h('h1', { text: t('loginTitle') }), h('p', { class: 'hint', text: t('loginHint') }), f));
  user.focus();
}

function renderForcedPassword(m) {
  document.title = `${t('forcedTitle')} – pbxgate`;
  const f = passwordForm('my password', async () => {
    session = await currentSession();
    location.hash = '#/dashboard';
    await render();
  });
  m.append(h('section', { class: 'card login' }, h('h1', { text: t('forcedTitle') }), h('p', { class: 'hint', text: t('forcedHint') }), f));
}

/** The password change form (user: "my password", admin: "admin password"). */
export function passwordForm(command, done) {
  const cur = h('input', { name: 'current', type: 'password', autocomplete: 'current-password' });
  const nw = h('input', { name: 'new', type: 'password', autocomplete: 'new-password', minlength: '8' });
  const again = h('input', { name: 'again', type: 'password', autocomplete: 'new-password' });
  return form(
    '',
    [field(t('currentPassword'), cur), field(t('newPassword'), nw), field(t('confirmPassword'), again)],
    async (el) => {
      const v = values(el);
      if (v.new !== v.again) throw { code: '', message: t('mismatch') };
      await post(command, { current: el.elements.current.value, new: el.elements.new.value });
      el.reset();
      if (done) await done();
      return t('passwordChanged');
    },
    t('save'),
    { class: 'password-form' },
  );
}

async function start() {
  const langSel = document.getElementById('lang');
  langSel.value = getLang();
  langSel.addEventListener('change', () => {
    setLang(langSel.value);
    void loadLang().then(render);
  });
  document.getElementById('logout').addEventListener('click', async () => {
    try {
      await logout();
    } catch {
      // the session is gone anyway
    }
    session = null;
    location.hash = '';
    await render();
  });
  document.getElementById('menu-toggle').addEventListener('click', (ev) => {
    const open = !document.body.classList.contains('menu-open');
    document.body.classList.toggle('menu-open', open);
    ev.currentTarget.setAttribute('aria-expanded', String(open));
  });
  onAuthProblem((err) => {
    if (err.code === 'E_UNAUTHORIZED') session = null;
    else if (session) session = { ...session, mustChangePassword: true };
    queueMicrotask(() => void render());
  });
  window.addEventListener('hashchange', () => void render());
  await loadLang();
  try {
    session = await currentSession();
  } catch {
    session = null;
  }
  await render();
}

void start();
