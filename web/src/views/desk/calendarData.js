// calendarData.js - the park's working calendar for the green channel's
// Gantt chart: the same data/calendar/YYYY.txt files `parkline serve` reads
// by default (calendar_dir), bundled into the page at build time so drawing
// a statutory span costs no request. A daemon started with another
// calendar_dir still gives the right day counts (they are its own); only
// where a statutory bar ends could then differ. Kept apart from
// greenGantt.js because import.meta.glob is Vite's, not node's.
import { parseCalendar } from './greenGantt.js'

const files = import.meta.glob('../../../../data/calendar/*.txt', { query: '?raw', import: 'default', eager: true })

export const PARK_CALENDAR = parseCalendar(Object.values(files))
