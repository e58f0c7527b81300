// French: the tab's reminders (remind.js, loaded with the first star or the toggle's first press).
// The same keys and {placeholders} in every language (i18n.js says how pages
// load them; the tests check both).
export default {
  'remind.lead.label': 'Combien de temps avant une session favorite vous prévenir',
  'remind.lead': '{min} min avant',
  'remind.next': 'Prochain rappel à {time} : {title}',
  'remind.calendar': 'Ajoutez plutôt les sessions favorites à votre agenda.',
  'remind.body': 'Commence à {time} en {room}',
  'remind.body.late': 'Commence à {time} ({late} min de retard) en {room}',
  'remind.cancelled': 'Annulée : {title}',
  'remind.cancelled.body': 'Une session de vos favoris n’aura pas lieu.',
  'remind.moved': 'Déplacée : {title}',
  'remind.moved.body': 'Désormais à {time} en {room}',
  'remind.full': 'Salle pleine : {title}',
  'remind.full.body': '{room} est pleine.',
  'remind.gone': 'Retirée du programme : {title}',
  'remind.gone.body': 'Une session de vos favoris a été retirée du programme.',
  'remind.cannot.ios': 'Sur iPhone et iPad, les rappels ne fonctionnent qu’une fois cette page ajoutée à l’écran d’accueil (Partager, puis « Sur l’écran d’accueil »).',
  'remind.cannot.insecure': 'Ce navigateur n’affiche des rappels que pour les pages servies en https.',
  'remind.cannot.unsupported': 'Ce navigateur ne peut pas afficher de rappels depuis une page web.',
  'remind.cannot.denied': 'Les notifications sont bloquées pour ce site dans les réglages du navigateur : aucun rappel ne peut s’afficher.',
};
