// English: the tab's reminders (remind.js, loaded with the first star or the toggle's first press).
// The same keys and {placeholders} in every language (i18n.js says how pages
// load them; the tests check both).
export default {
  'remind.lead.label': 'How long before a starred session to remind you',
  'remind.lead': '{min} min before',
  'remind.next': 'Next reminder at {time}: {title}',
  'remind.calendar': 'Add the starred sessions to your calendar instead.',
  'remind.body': 'Starts at {time} in {room}',
  'remind.body.late': 'Starts at {time} ({late} min late) in {room}',
  'remind.cancelled': 'Cancelled: {title}',
  'remind.cancelled.body': 'A session you starred will not take place.',
  'remind.moved': 'Moved: {title}',
  'remind.moved.body': 'Now at {time} in {room}',
  'remind.full': 'Room full: {title}',
  'remind.full.body': '{room} is full.',
  'remind.gone': 'No longer in the schedule: {title}',
  'remind.gone.body': 'A session you starred was taken out of the schedule.',
  'remind.cannot.ios': 'On iPhone and iPad, reminders work only once this page is added to the Home Screen (Share, then “Add to Home Screen”).',
  'remind.cannot.insecure': 'This browser shows reminders only for pages served over https.',
  'remind.cannot.unsupported': 'This browser cannot show reminders from a web page.',
  'remind.cannot.denied': 'Notifications are blocked for this site in your browser settings, so no reminders can be shown.',
};
