// English: every visible string of every view, by key. The other catalogues
// (de.js, fr.js, es.js) hold the same keys. Keys are grouped by view;
// {name} is filled in by t().
export default {
  // tab
  'tab.loading': 'Loading the schedule…',
};
