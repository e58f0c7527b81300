// Spanish: the tab's reminders (remind.js, loaded with the first star or the toggle's first press).
// The same keys and {placeholders} in every language (i18n.js says how pages
// load them; the tests check both).
export default {
  'remind.lead.label': 'Cuánto antes de una sesión favorita avisarte',
  'remind.lead': '{min} min antes',
  'remind.next': 'Próximo aviso a las {time}: {title}',
  'remind.calendar': 'Añade mejor las sesiones favoritas a tu calendario.',
  'remind.body': 'Empieza a las {time} en {room}',
  'remind.body.late': 'Empieza a las {time} ({late} min de retraso) en {room}',
  'remind.cancelled': 'Cancelada: {title}',
  'remind.cancelled.body': 'Una sesión de tus favoritas no se celebrará.',
  'remind.moved': 'Cambiada: {title}',
  'remind.moved.body': 'Ahora a las {time} en {room}',
  'remind.full': 'Sala llena: {title}',
  'remind.full.body': '{room} está llena.',
  'remind.gone': 'Ya no está en el programa: {title}',
  'remind.gone.body': 'Una sesión de tus favoritas se ha retirado del programa.',
  'remind.cannot.ios': 'En iPhone y iPad, los avisos solo funcionan si añades esta página a la pantalla de inicio (Compartir y luego «Añadir a pantalla de inicio»).',
  'remind.cannot.insecure': 'Este navegador solo muestra avisos en páginas servidas por https.',
  'remind.cannot.unsupported': 'Este navegador no puede mostrar avisos desde una página web.',
  'remind.cannot.denied': 'Las notificaciones de este sitio están bloqueadas en los ajustes del navegador, así que no se pueden mostrar avisos.',
};
