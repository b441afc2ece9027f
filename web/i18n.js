// French first (the customer guide's labels), English on the language switch (localStorage).
const FR = {
  appTitle: 'Ma téléphonie d\u2019entreprise', login: 'Identifiant', password: 'Mot de passe', signIn: 'Se connecter', logout: 'Déconnexion', language: 'Langue', menu: 'Menu',
  loginTitle: 'Connexion', loginHint: 'Administrateur : « admin » et le mot de passe de la box. Utilisateur : Prénom.Nom et votre mot de passe (la première fois : votre numéro interne).',
  save: 'Valider', saved: 'Enregistré.', cancel: 'Annuler', add: 'Ajouter', edit: 'modifier', remove: 'supprimer', yes: 'oui', no: 'non', none: 'Aucun élément', unknown: 'inconnu', loading: 'Chargement…',
  confirmRemove: 'Supprimer « {x} » ?', upload: 'Envoyer le fichier', file: 'Fichier audio (WAV ou G.729)', uploaded: 'Fichier chargé : {s} s ({src}).', print: 'Imprimer', previous: 'Précédent', next: 'Suivant', pageOf: 'Page {p} / {n}',
  // menus
  dashboard: 'tableau de bord', journal: 'journal des appels', reception: 'gestion de l\u2019accueil client', users: 'utilisateurs et groupements', directory: 'annuaire', settings: 'paramètres', mobile: 'gestion de l\u2019application mobile',
  myDashboard: 'tableau de bord', myCalls: 'mes appels', myContacts: 'mes contacts', myForwards: 'mes renvois', myKeys: 'mes touches écran', mySettings: 'mes paramètres', myVoicemail: 'ma messagerie vocale', memo: 'mémo des codes',
  // dashboard
  phonesRegistered: 'Téléphones connectés', trunk: 'Ligne téléphonique (trunk SIP)', dsl: 'Internet (DSL)', plc: 'Courant porteur (CPL)', currentCalls: 'Appels en cours', leds: 'Voyants', of: 'sur',
  // journal
  phone: 'Téléphone', allPhones: 'tous les téléphones', kind: 'Type d\u2019appel', allKinds: 'tous', missed: 'manqués', answered: 'répondus', emitted: 'émis', fromDate: 'Du', toDate: 'Au', pageSize: 'Par page', search: 'Rechercher', results: '{n} appel(s)',
  date: 'Date', from: 'Appelant', to: 'Appelé', answeredBy: 'Répondu par', duration: 'Durée', direction: 'Sens', outcome: 'Résultat', internal: 'interne', inbound: 'entrant', outbound: 'sortant', failed: 'échec',
  // reception
  receptionState: 'état de l\u2019accueil client', receptionPhone: 'Téléphone d\u2019accueil (numéro principal)', ringsBeforeOverflow: 'Sonneries avant le groupement Standard', forwardAll: 'Renvoyer tous les appels du numéro principal', destination: 'Destination (n° interne, n° externe ou « voicemail »)',
  preAnswer: 'pré-décroché', preAnswerOn: 'Pré-décroché général activé', preAnswerMode: 'Diffusion', whileRinging: 'pendant la sonnerie', beforeRinging: 'en entier avant la sonnerie', currentFile: 'Fichier actuel : {f}', noFile: 'aucun fichier chargé',
  dayNight: 'service jour / nuit', target: 'Numéro concerné', mainNumber: 'numéro principal', group: 'groupement', enabled: 'Activé', nightDestination: 'Destination de nuit', holidaysNight: 'Jours fériés en service de nuit', override: 'Forçage', auto: 'automatique', day: 'jour', night: 'nuit',
  daySlots: 'Plages de service de jour', addSlot: 'Ajouter une plage', slotFrom: 'De', slotTo: 'À', removeSchedule: 'Supprimer ce calendrier', schedules: 'Calendriers enregistrés', newSchedule: 'Nouveau calendrier / modifier',
  days: ['dim', 'lun', 'mar', 'mer', 'jeu', 'ven', 'sam'],
  holdMusic: 'musique d\u2019attente', attendant: 'standard automatique', attendantOn: 'Standard automatique activé', name: 'Nom', restrictionProfile: 'Profil de restrictions', internalNumber: 'Numéro interne', externalNumber: 'Numéro externe', welcomePrompt: 'Message d\u2019accueil',
  keys: 'Touches', digit: 'Touche', action: 'Action', call: 'appeler un numéro ou un groupement', voicemailOf: 'messagerie vocale d\u2019un poste', repeat: 'répéter le message', number: 'Numéro', addKey: 'Ajouter une touche',
  // users
  userList: 'liste des utilisateurs', association: 'association des téléphones', restrictions: 'profils de restrictions', groups: 'liste des groupements',
  state: 'État', registered: 'connecté', notRegistered: 'non connecté', lastName: 'Nom', firstName: 'Prénom', email: 'E-mail', phoneType: 'Type de téléphone', callProfile: 'Profil d\u2019appel',
  phoneRecord: 'modification d\u2019un téléphone', general: 'données générales', voicemail: 'messagerie vocale', services: 'services et renvois', simRing: 'renvoi simultané',
  resetPassword: 'Réinitialiser le mot de passe du web utilisateur', resetDone: 'Mot de passe remis au numéro interne ({n}), à changer à la prochaine connexion.', userLogin: 'Identifiant web utilisateur : {l}', noUserWeb: 'Pas de web utilisateur (prénom et nom requis).',
  presentedIdentity: 'Numéro présenté', idDid: 'ligne directe', idCompany: 'numéro entreprise', idMain: 'numéro principal', idSecret: 'secret', idGroup: 'numéro d\u2019un groupement', presentedGroup: 'Groupement présenté',
  vmEnabled: 'Messagerie vocale activée', vmEmail: 'Envoyer les messages par e-mail', pin: 'Code de la messagerie (4 à 8 chiffres, vide = inchangé)', pinSet: 'Un code est défini.', clearPin: 'Supprimer le code',
  callWaiting: 'Appel en attente', automaticCallback: 'Rappel automatique', hideIdentity: 'Secret d\u2019identité', hideIdentityOnInternalForward: 'Masquage d\u2019identité lors d\u2019un renvoi interne', successiveForwarding: 'Renvoi successif',
  forwardedCallerId: 'Présentation de l\u2019appelant lors d\u2019un renvoi', fcMain: 'numéro principal', fcFirst: 'numéro du premier appelant', fcInitiator: 'numéro de l\u2019initiateur du renvoi',
  voicePresentation: 'Présentation vocale', standardOptOut: 'Ne pas sonner après l\u2019accueil (groupement Standard)', forwardProtection: 'Protection contre les renvois',
  fwdUnconditional: 'Renvoi immédiat', fwdBusy: 'Renvoi sur occupation', fwdNoAnswer: 'Renvoi sur non-réponse', fwdDisconnect: 'Renvoi sur déconnexion (*24)', fwdDisconnectNoAnswer: 'Renvoi sur déconnexion et non-réponse (*27)', rings: 'Nombre de sonneries', last: 'dernière destination : {d}',
  ownProfile: 'Profil de restrictions (appels)', forwardProfile: 'Profil de restrictions (renvois)', simAllowed: 'Renvoi simultané autorisé (lignes directes)', simEnabled: 'Renvoi simultané activé', mobileNumber: 'Numéro du mobile', mainOnMobile: 'Recevoir les appels du numéro principal sur un mobile',
  associateHint: 'Le numéro, la messagerie et les groupements suivent le téléphone choisi vers le nouveau combiné.', newMac: 'Adresse MAC du nouveau téléphone', associate: 'Associer', associated: 'Téléphone {n} associé à {m}.',
  editable: 'modifiable', profile: 'Profil',
  cat_free: 'gratuits', cat_operatorService: 'services opérateur', cat_national: 'national', cat_lowCapPremium: 'Azur (081)', cat_mobile: 'mobiles', cat_dom: 'DOM', cat_comTom: 'COM-TOM', cat_premium: 'surtaxés', cat_directory: 'renseignements (118)', cat_international: 'international', cat_m2m: 'M2M',
  ringMode: 'Type de sonnerie', simultaneous: 'simultanée', sequential: 'séquentielle', members: 'Membres', didOpt: 'Numéro externe (optionnel)', ringSeconds: 'Secondes de sonnerie (par membre en séquentiel)', newGroup: 'créer un groupement', editGroup: 'modifier le groupement {n}', addMember: 'Ajouter ce membre', up: 'monter', down: 'descendre', standardGroup: 'Standard (tous les téléphones)', active: 'actif', inactive: 'inactif', autoNumber: 'vide = attribué automatiquement',
  // directory
  speedDial: 'Numéro abrégé (700-869)', newContact: 'ajouter un contact', editContact: 'modifier le contact',
  // settings
  company: 'entreprise', companyName: 'Nom de l\u2019entreprise', companyNumber: 'Numéro entreprise (parmi les lignes directes)', dids: 'Lignes directes (séparées par des virgules)', capacity: 'capacité', maxExternalCalls: 'Appels externes simultanés',
  registrar: 'Serveur (registrar)', port: 'Port', transport: 'Transport', domain: 'Domaine', username: 'Utilisateur', authUsername: 'Utilisateur d\u2019authentification', passwordKeep: 'Mot de passe (vide = inchangé)', passwordIsSet: 'mot de passe enregistré', register: 'S\u2019enregistrer auprès du serveur', registerExpires: 'Durée d\u2019enregistrement (s)',
  smtp: 'serveur de messagerie (SMTP)', host: 'Serveur', secure: 'TLS', mailFrom: 'Expéditeur', system: 'système', hostname: 'Nom de la box', timezone: 'Fuseau horaire',
  adminPassword: 'mot de passe administrateur', currentPassword: 'Mot de passe actuel', newPassword: 'Nouveau mot de passe (8 caractères minimum)', confirmPassword: 'Confirmer le nouveau mot de passe', mismatch: 'Les deux mots de passe ne sont pas identiques.', passwordChanged: 'Mot de passe changé.',
  // mobile
  mobileAccounts: 'comptes de l\u2019application mobile', enableMobile: 'activer l\u2019application mobile pour un téléphone', enableBtn: 'Activer', show: 'afficher', revoke: 'révoquer', since: 'Depuis', qrTitle: 'Configuration de l\u2019application mobile de {n}', qrAlt: 'QR code de configuration (lien à usage unique)', qrHint: 'Scannez ce QR code avec l\u2019application (Linphone) : le lien ne sert qu\u2019une fois et expire le {d}.', server: 'Serveur', confirmRevoke: 'Révoquer le compte mobile du {n} ? L\u2019application sera déconnectée.',
  // user
  forcedTitle: 'Changement du mot de passe', forcedHint: 'Pour votre sécurité, choisissez un nouveau mot de passe avant d\u2019utiliser votre web utilisateur.', profileTitle: 'mon téléphone', did: 'Ligne directe', model: 'Modèle', lastCalls: 'derniers appels', newMessages: '{n} nouveau(x) message(s)',
  companyDirectory: 'annuaire de l\u2019entreprise', personalContacts: 'mes contacts personnels', addContact: 'ajouter un contact',
  keysHint: '9 touches par écran, 24 avec les pages « Plus ». Supervision : l\u2019état d\u2019un autre téléphone ; appel rapide : un numéro.', screenPage: 'Écran {p}', position: 'Touche {n}', keyKind: 'Fonction', keyNone: '— libre —', supervision: 'supervision', speedDialKey: 'appel rapide', keyTarget: 'Numéro', keyLabel: 'Libellé',
  greeting: 'annonce d\u2019accueil', greetingCustom: 'Annonce personnalisée enregistrée.', greetingStandard: 'Annonce standard.', greetingRemove: 'Revenir à l\u2019annonce standard', messages: 'messages', fresh: 'nouveau', savedMsg: 'écouté', listen: 'Écouter le message de {c}', download: 'télécharger', markSaved: 'marquer écouté', listenCol: 'Écoute', caller: 'Appelant',
  code: 'Code', meaning: 'Fonction', noCalls: 'Aucun appel.',
};

const ERR_FR = {
  E_BAD_ARGUMENTS: 'Données incorrectes', E_NOT_FOUND: 'Introuvable', E_CONFIG_INVALID: 'Configuration refusée', E_CONFLICT: 'Déjà utilisé', E_FORBIDDEN: 'Non autorisé',
  E_MEDIA_FORMAT: 'Format de fichier refusé : seuls les fichiers WAV ou G.729 sont acceptés', E_TOO_LARGE: 'Fichier ou requête trop volumineux', E_UNAUTHORIZED: 'Session expirée, reconnectez-vous',
  E_LOGIN_FAILED: 'Identifiant ou mot de passe incorrect', E_LOCKED_OUT: 'Trop de tentatives, réessayez plus tard', E_WEAK_PASSWORD: 'Mot de passe refusé', E_PASSWORD_CHANGE_REQUIRED: 'Changez d\u2019abord votre mot de passe',
  E_CSRF: 'Session invalide, rechargez la page', E_CONFIRMATION_REQUIRED: 'Confirmation requise', E_NOT_SUPPORTED: 'Non disponible sur cette box', E_CONFIG_IO: 'Enregistrement impossible', E_INTERNAL: 'Erreur interne', E_NETWORK: 'La box ne répond pas',
};
let lang = 'fr';
try {
  lang = localStorage.getItem('pbxgate.lang') === 'en' ? 'en' : 'fr';
} catch {
  lang = 'fr';
}
document.documentElement.lang = lang;

let EN = {};
let ERR_EN = {};

/** Loads the English labels when needed (the French ones are always here). */
export async function loadLang() {
  if (lang === 'en' && !EN.appTitle) ({ EN, ERR_EN } = await import('./i18n-en.js'));
}

export const getLang = () => lang;
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'fr';
  document.documentElement.lang = lang;
  try {
    localStorage.setItem('pbxgate.lang', lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

export function t(key, vars) {
  let s = (lang === 'en' ? EN : FR)[key] ?? FR[key] ?? key;
  if (vars && typeof s === 'string') for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** The label of an error code, then the box's own message (the detail). */
export function errorText(err) {
  const code = err && err.code;
  const label = (lang === 'en' ? ERR_EN : ERR_FR)[code];
  const detail = err && err.message ? String(err.message) : '';
  if (!label) return detail || String(err);
  return detail && detail.toLowerCase() !== label.toLowerCase() ? `${label} : ${detail}` : label;
}
