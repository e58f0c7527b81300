// German: the tab's reminders (remind.js, loaded with the first star or the toggle's first press).
// The same keys and {placeholders} in every language (i18n.js says how pages
// load them; the tests check both).
export default {
  'remind.lead.label': 'Wie lange vor einer markierten Session erinnert werden soll',
  'remind.lead': '{min} Min. vorher',
  'remind.next': 'Nächste Erinnerung um {time}: {title}',
  'remind.calendar': 'Stattdessen die markierten Sessions in den Kalender übernehmen.',
  'remind.body': 'Beginnt um {time} in {room}',
  'remind.body.late': 'Beginnt um {time} ({late} Min. später) in {room}',
  'remind.cancelled': 'Abgesagt: {title}',
  'remind.cancelled.body': 'Eine markierte Session findet nicht statt.',
  'remind.moved': 'Verlegt: {title}',
  'remind.moved.body': 'Jetzt um {time} in {room}',
  'remind.full': 'Raum voll: {title}',
  'remind.full.body': '{room} ist voll.',
  'remind.gone': 'Nicht mehr im Programm: {title}',
  'remind.gone.body': 'Eine markierte Session wurde aus dem Programm genommen.',
  'remind.cannot.ios': 'Auf iPhone und iPad gibt es Erinnerungen erst, wenn diese Seite zum Home-Bildschirm hinzugefügt ist (Teilen, dann „Zum Home-Bildschirm“).',
  'remind.cannot.insecure': 'Dieser Browser zeigt Erinnerungen nur für Seiten über https.',
  'remind.cannot.unsupported': 'Dieser Browser kann von einer Webseite aus keine Erinnerungen zeigen.',
  'remind.cannot.denied': 'Benachrichtigungen sind für diese Seite in den Browser-Einstellungen blockiert, daher gibt es keine Erinnerungen.',
};
