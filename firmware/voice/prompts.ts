/**
 * The system prompts (VOX-1, VOX-5, VOX-6, VOX-7, feature codes): what the
 * PBX says, as data. Each id has a French and an English text; the build
 * (scripts/build-prompts.mjs) speaks them with espeak-ng into
 * `out/prompts/<lang>/<id>.wav` (8 kHz mono 16-bit), and the runtime loads
 * them by id (prompt-store.ts). docs/voice-prompts.md lists them.
 *
 * Ids are `<area>.<name>`: `feature.*` feature-code confirmations, `vm.*`
 * voicemail, `ivr.*` auto attendant defaults, `pres.*` voice presentation,
 * `call.*` call progress, `digit.0`..`digit.9` and `num.10`..`num.99` to say
 * numbers (French phone numbers go by pairs: sayNumber in prompt-store.ts),
 * `word.*` the few words numbers need.
 *
 * Sentences that a number or a count completes are cut where it goes
 * ("vm.you-have" + count + "vm.new-messages"). Texts are plain sentences:
 * no digits or abbreviations, so espeak-ng reads exactly what is written.
 *
 * Erasable TypeScript only (no enums, no imports): the build script loads
 * this file with Node's own type stripping.
 */

export type PromptLang = 'fr' | 'en';
export const PROMPT_LANGS: readonly PromptLang[] = ['fr', 'en'];

export interface PromptText {
  fr: string;
  en: string;
}

export const PROMPTS = {
  // --- feature-code confirmations ---
  'feature.service-on': { fr: 'Service activé.', en: 'Service activated.' },
  'feature.service-off': { fr: 'Service désactivé.', en: 'Service deactivated.' },
  'feature.state-on': { fr: 'Le service est activé.', en: 'The service is on.' },
  'feature.state-off': { fr: 'Le service est désactivé.', en: 'The service is off.' },
  'feature.forward-on-to': { fr: 'Renvoi activé vers', en: 'Call forwarding activated to' },
  'feature.forward-on-voicemail': { fr: 'Renvoi activé vers la messagerie vocale.', en: 'Call forwarding to voicemail activated.' },
  'feature.forward-off': { fr: 'Renvoi désactivé.', en: 'Call forwarding deactivated.' },
  'feature.forward-state-to': { fr: 'Vos appels sont renvoyés vers', en: 'Your calls are forwarded to' },
  'feature.number-hidden': { fr: 'Votre numéro est masqué.', en: 'Your number is hidden.' },
  'feature.number-shown': { fr: 'Votre numéro est présenté.', en: 'Your number is shown.' },
  'feature.group-joined': { fr: 'Vous êtes entré dans le groupe.', en: 'You have joined the group.' },
  'feature.group-left': { fr: 'Vous êtes sorti du groupe.', en: 'You have left the group.' },
  'feature.night-mode': { fr: 'Mode nuit activé.', en: 'Night mode on.' },
  'feature.day-mode': { fr: 'Mode jour activé.', en: 'Day mode on.' },
  'feature.auto-mode': { fr: 'Retour au mode automatique.', en: 'Back to automatic mode.' },
  'feature.callback-queued': { fr: 'Rappel automatique programmé. Vous serez rappelé dès que le poste sera libre.', en: 'Automatic callback booked. You will be called back when the phone is free.' },
  'feature.callback-cancelled': { fr: 'Rappel automatique annulé.', en: 'Automatic callback cancelled.' },
  'feature.record-announcement': { fr: 'Enregistrez votre annonce après le bip. Tapez dièse pour terminer.', en: 'Record your announcement after the tone. Press hash when you are done.' },
  'feature.announcement-saved': { fr: 'Annonce enregistrée.', en: 'Announcement saved.' },
  'feature.announcement-on': { fr: 'Annonce activée.', en: 'Announcement on.' },
  'feature.announcement-off': { fr: 'Annonce désactivée.', en: 'Announcement off.' },
  'feature.no-announcement': { fr: "Aucune annonce n'est enregistrée.", en: 'No announcement has been recorded.' },
  'feature.invalid-code': { fr: 'Code de service invalide.', en: 'Invalid service code.' },
  'feature.not-allowed': { fr: "Ce service n'est pas autorisé sur votre poste.", en: 'This service is not allowed on your phone.' },
  'feature.invalid-destination': { fr: 'Ce numéro ne peut pas être utilisé pour un renvoi.', en: 'This number cannot be used for call forwarding.' },

  // --- voicemail (firmware/pbx/voicemail/menus.ts) ---
  'vm.greeting.default': { fr: "Votre correspondant n'est pas disponible. Laissez un message après le bip.", en: 'The person you are calling is not available. Please leave a message after the tone.' },
  'vm.greeting.number': { fr: "Vous êtes bien sur la messagerie du", en: 'You have reached the voicemail of' },
  'vm.leave-message': { fr: 'Laissez un message après le bip.', en: 'Please leave a message after the tone.' },
  'vm.box-full': { fr: 'La messagerie de votre correspondant est pleine. Merci de rappeler plus tard.', en: 'The voicemail box of the person you are calling is full. Please call again later.' },
  'vm.message-saved': { fr: 'Votre message a été enregistré.', en: 'Your message has been saved.' },
  'vm.welcome': { fr: 'Bienvenue sur votre messagerie vocale.', en: 'Welcome to your voicemail.' },
  'vm.you-have': { fr: 'Vous avez', en: 'You have' },
  'vm.new-message': { fr: 'nouveau message', en: 'new message' },
  'vm.new-messages': { fr: 'nouveaux messages', en: 'new messages' },
  'vm.saved-message': { fr: 'message sauvegardé', en: 'saved message' },
  'vm.saved-messages': { fr: 'messages sauvegardés', en: 'saved messages' },
  'vm.and': { fr: 'et', en: 'and' },
  'vm.no-messages': { fr: "Vous n'avez aucun message.", en: 'You have no messages.' },
  'vm.message-from': { fr: 'Message de', en: 'Message from' },
  'vm.unknown-caller': { fr: 'numéro inconnu', en: 'unknown number' },
  'vm.listen': { fr: 'Pour écouter vos messages, tapez un.', en: 'To listen to your messages, press one.' },
  'vm.menu': { fr: 'Pour réécouter ce message, tapez un. Pour le garder et passer au suivant, tapez deux. Pour le supprimer, tapez trois. Pour réentendre ce menu, tapez zéro.', en: 'To hear this message again, press one. To keep it and go to the next one, press two. To delete it, press three. To hear this menu again, press zero.' },
  'vm.next-message': { fr: 'Message suivant.', en: 'Next message.' },
  'vm.deleted': { fr: 'Message supprimé.', en: 'Message deleted.' },
  'vm.end-of-messages': { fr: 'Fin des messages.', en: 'End of messages.' },
  'vm.enter-box': { fr: 'Entrez le numéro de la messagerie, suivi de la touche dièse.', en: 'Enter the mailbox number, then press hash.' },
  'vm.enter-pin': { fr: 'Entrez votre code, suivi de la touche dièse.', en: 'Enter your code, then press hash.' },
  'vm.login-failed': { fr: 'Numéro de messagerie ou code incorrect.', en: 'Wrong mailbox number or code.' },
  'vm.goodbye': { fr: 'Au revoir.', en: 'Goodbye.' },

  // --- auto attendant defaults (VOX-6) ---
  'ivr.welcome.default': { fr: 'Bonjour, et bienvenue. Tapez le numéro du poste de votre correspondant, ou restez en ligne.', en: 'Hello, and welcome. Dial the extension number of the person you are calling, or stay on the line.' },
  'ivr.choose': { fr: 'Faites votre choix.', en: 'Please make your choice.' },
  'ivr.invalid-choice': { fr: "Ce choix n'est pas valide.", en: 'This choice is not valid.' },
  'ivr.no-choice': { fr: "Nous n'avons pas reçu votre choix.", en: 'We did not receive your choice.' },
  'ivr.please-hold': { fr: 'Veuillez patienter, nous recherchons votre correspondant.', en: 'Please hold, we are connecting your call.' },
  'ivr.transfer-to-operator': { fr: "Nous vous mettons en relation avec l'accueil.", en: 'We are connecting you to the reception.' },
  'ivr.closed': { fr: 'Nos bureaux sont fermés. Merci de rappeler aux heures d’ouverture.', en: 'Our offices are closed. Please call again during opening hours.' },
  'ivr.hold.default': { fr: 'Veuillez patienter, nous allons donner suite à votre appel.', en: 'Please hold, your call will be answered shortly.' },

  // --- voice presentation (VOX-7, *33) ---
  'pres.caller-number': { fr: 'Numéro appelant :', en: 'Calling number:' },
  'pres.forwarded-by': { fr: 'Appel transféré par', en: 'Call transferred by' },
  'pres.forwarded-from': { fr: 'Appel renvoyé par le poste', en: 'Call forwarded by extension' },
  'pres.internal-call': { fr: 'Appel interne du poste', en: 'Internal call from extension' },
  'pres.external-call': { fr: 'Appel extérieur.', en: 'Outside call.' },
  'pres.withheld': { fr: 'Numéro masqué.', en: 'Withheld number.' },
  'pres.unknown': { fr: 'Numéro inconnu.', en: 'Unknown number.' },
  'pres.extension': { fr: 'poste', en: 'extension' },
  'pres.phone-free': { fr: 'Le poste est libre.', en: 'The phone is free.' },
  'pres.phone-busy': { fr: 'Le poste est occupé.', en: 'The phone is busy.' },
  'pres.phone-forwarded': { fr: 'Le poste est renvoyé.', en: 'The phone is forwarded.' },
  'pres.phone-unavailable': { fr: "Le poste n'est pas joignable.", en: 'The phone cannot be reached.' },
  'pres.accept-call': { fr: 'Pour prendre cet appel, tapez un. Pour le refuser, raccrochez.', en: 'To take this call, press one. To refuse it, hang up.' },

  // --- call progress ---
  'call.busy': { fr: 'Votre correspondant est déjà en ligne. Merci de rappeler plus tard.', en: 'The person you are calling is on another call. Please call again later.' },
  'call.unavailable': { fr: "Votre correspondant n'est pas joignable pour le moment.", en: 'The person you are calling cannot be reached at the moment.' },
  'call.not-allowed': { fr: "Ce numéro n'est pas autorisé depuis votre poste.", en: 'This number is not allowed from your phone.' },
  'call.invalid-number': { fr: "Le numéro que vous avez composé n'est pas attribué.", en: 'The number you have dialled is not in service.' },
  'call.line-down': { fr: 'Les lignes extérieures sont momentanément indisponibles.', en: 'Outside lines are unavailable at the moment.' },

  // --- numbers ---
  'digit.0': { fr: 'zéro', en: 'zero' },
  'digit.1': { fr: 'un', en: 'one' },
  'digit.2': { fr: 'deux', en: 'two' },
  'digit.3': { fr: 'trois', en: 'three' },
  'digit.4': { fr: 'quatre', en: 'four' },
  'digit.5': { fr: 'cinq', en: 'five' },
  'digit.6': { fr: 'six', en: 'six' },
  'digit.7': { fr: 'sept', en: 'seven' },
  'digit.8': { fr: 'huit', en: 'eight' },
  'digit.9': { fr: 'neuf', en: 'nine' },
  'num.10': { fr: 'dix', en: 'ten' },
  'num.11': { fr: 'onze', en: 'eleven' },
  'num.12': { fr: 'douze', en: 'twelve' },
  'num.13': { fr: 'treize', en: 'thirteen' },
  'num.14': { fr: 'quatorze', en: 'fourteen' },
  'num.15': { fr: 'quinze', en: 'fifteen' },
  'num.16': { fr: 'seize', en: 'sixteen' },
  'num.17': { fr: 'dix-sept', en: 'seventeen' },
  'num.18': { fr: 'dix-huit', en: 'eighteen' },
  'num.19': { fr: 'dix-neuf', en: 'nineteen' },
  'num.20': { fr: 'vingt', en: 'twenty' },
  'num.21': { fr: 'vingt et un', en: 'twenty-one' },
  'num.22': { fr: 'vingt-deux', en: 'twenty-two' },
  'num.23': { fr: 'vingt-trois', en: 'twenty-three' },
  'num.24': { fr: 'vingt-quatre', en: 'twenty-four' },
  'num.25': { fr: 'vingt-cinq', en: 'twenty-five' },
  'num.26': { fr: 'vingt-six', en: 'twenty-six' },
  'num.27': { fr: 'vingt-sept', en: 'twenty-seven' },
  'num.28': { fr: 'vingt-huit', en: 'twenty-eight' },
  'num.29': { fr: 'vingt-neuf', en: 'twenty-nine' },
  'num.30': { fr: 'trente', en: 'thirty' },
  'num.31': { fr: 'trente et un', en: 'thirty-one' },
  'num.32': { fr: 'trente-deux', en: 'thirty-two' },
  'num.33': { fr: 'trente-trois', en: 'thirty-three' },
  'num.34': { fr: 'trente-quatre', en: 'thirty-four' },
  'num.35': { fr: 'trente-cinq', en: 'thirty-five' },
  'num.36': { fr: 'trente-six', en: 'thirty-six' },
  'num.37': { fr: 'trente-sept', en: 'thirty-seven' },
  'num.38': { fr: 'trente-huit', en: 'thirty-eight' },
  'num.39': { fr: 'trente-neuf', en: 'thirty-nine' },
  'num.40': { fr: 'quarante', en: 'forty' },
  'num.41': { fr: 'quarante et un', en: 'forty-one' },
  'num.42': { fr: 'quarante-deux', en: 'forty-two' },
  'num.43': { fr: 'quarante-trois', en: 'forty-three' },
  'num.44': { fr: 'quarante-quatre', en: 'forty-four' },
  'num.45': { fr: 'quarante-cinq', en: 'forty-five' },
  'num.46': { fr: 'quarante-six', en: 'forty-six' },
  'num.47': { fr: 'quarante-sept', en: 'forty-seven' },
  'num.48': { fr: 'quarante-huit', en: 'forty-eight' },
  'num.49': { fr: 'quarante-neuf', en: 'forty-nine' },
  'num.50': { fr: 'cinquante', en: 'fifty' },
  'num.51': { fr: 'cinquante et un', en: 'fifty-one' },
  'num.52': { fr: 'cinquante-deux', en: 'fifty-two' },
  'num.53': { fr: 'cinquante-trois', en: 'fifty-three' },
  'num.54': { fr: 'cinquante-quatre', en: 'fifty-four' },
  'num.55': { fr: 'cinquante-cinq', en: 'fifty-five' },
  'num.56': { fr: 'cinquante-six', en: 'fifty-six' },
  'num.57': { fr: 'cinquante-sept', en: 'fifty-seven' },
  'num.58': { fr: 'cinquante-huit', en: 'fifty-eight' },
  'num.59': { fr: 'cinquante-neuf', en: 'fifty-nine' },
  'num.60': { fr: 'soixante', en: 'sixty' },
  'num.61': { fr: 'soixante et un', en: 'sixty-one' },
  'num.62': { fr: 'soixante-deux', en: 'sixty-two' },
  'num.63': { fr: 'soixante-trois', en: 'sixty-three' },
  'num.64': { fr: 'soixante-quatre', en: 'sixty-four' },
  'num.65': { fr: 'soixante-cinq', en: 'sixty-five' },
  'num.66': { fr: 'soixante-six', en: 'sixty-six' },
  'num.67': { fr: 'soixante-sept', en: 'sixty-seven' },
  'num.68': { fr: 'soixante-huit', en: 'sixty-eight' },
  'num.69': { fr: 'soixante-neuf', en: 'sixty-nine' },
  'num.70': { fr: 'soixante-dix', en: 'seventy' },
  'num.71': { fr: 'soixante et onze', en: 'seventy-one' },
  'num.72': { fr: 'soixante-douze', en: 'seventy-two' },
  'num.73': { fr: 'soixante-treize', en: 'seventy-three' },
  'num.74': { fr: 'soixante-quatorze', en: 'seventy-four' },
  'num.75': { fr: 'soixante-quinze', en: 'seventy-five' },
  'num.76': { fr: 'soixante-seize', en: 'seventy-six' },
  'num.77': { fr: 'soixante-dix-sept', en: 'seventy-seven' },
  'num.78': { fr: 'soixante-dix-huit', en: 'seventy-eight' },
  'num.79': { fr: 'soixante-dix-neuf', en: 'seventy-nine' },
  'num.80': { fr: 'quatre-vingts', en: 'eighty' },
  'num.81': { fr: 'quatre-vingt-un', en: 'eighty-one' },
  'num.82': { fr: 'quatre-vingt-deux', en: 'eighty-two' },
  'num.83': { fr: 'quatre-vingt-trois', en: 'eighty-three' },
  'num.84': { fr: 'quatre-vingt-quatre', en: 'eighty-four' },
  'num.85': { fr: 'quatre-vingt-cinq', en: 'eighty-five' },
  'num.86': { fr: 'quatre-vingt-six', en: 'eighty-six' },
  'num.87': { fr: 'quatre-vingt-sept', en: 'eighty-seven' },
  'num.88': { fr: 'quatre-vingt-huit', en: 'eighty-eight' },
  'num.89': { fr: 'quatre-vingt-neuf', en: 'eighty-nine' },
  'num.90': { fr: 'quatre-vingt-dix', en: 'ninety' },
  'num.91': { fr: 'quatre-vingt-onze', en: 'ninety-one' },
  'num.92': { fr: 'quatre-vingt-douze', en: 'ninety-two' },
  'num.93': { fr: 'quatre-vingt-treize', en: 'ninety-three' },
  'num.94': { fr: 'quatre-vingt-quatorze', en: 'ninety-four' },
  'num.95': { fr: 'quatre-vingt-quinze', en: 'ninety-five' },
  'num.96': { fr: 'quatre-vingt-seize', en: 'ninety-six' },
  'num.97': { fr: 'quatre-vingt-dix-sept', en: 'ninety-seven' },
  'num.98': { fr: 'quatre-vingt-dix-huit', en: 'ninety-eight' },
  'num.99': { fr: 'quatre-vingt-dix-neuf', en: 'ninety-nine' },
  'word.hundred': { fr: 'cent', en: 'hundred' },
  'word.plus': { fr: 'plus', en: 'plus' },
  'word.star': { fr: 'étoile', en: 'star' },
  'word.hash': { fr: 'dièse', en: 'hash' },
} as const satisfies Record<string, PromptText>;

export type PromptId = keyof typeof PROMPTS;

export const PROMPT_IDS = Object.keys(PROMPTS) as PromptId[];

export function isPromptId(id: string): id is PromptId {
  return Object.hasOwn(PROMPTS, id);
}
