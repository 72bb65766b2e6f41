// format.js - how Parkline shows times and numbers to people.
//
// The API speaks RFC 3339 UTC (pl_time_format: "2026-11-25T09:30:00.000Z");
// people in the park read Beijing time. Beijing (Asia/Shanghai) has been
// UTC+8 with no daylight saving since 1991, so the conversion is a fixed
// offset done by hand: results do not depend on the browser's time zone or on
// how much ICU data a Node or Chromium build carries, and tests are exact.
//
// Large numbers: Chinese readers group by 万 (10^4) and 亿 (10^8), so zh-CN
// shows 12.35万 / 3.2亿; English keeps thousands separators (12,345,678).
//
// Pure functions, no state, importable from the browser and from node --test.

export const BEIJING_OFFSET_MS = 8 * 3600 * 1000

function pad2(n) {
  return n < 10 ? '0' + n : String(n)
}

// Parses an RFC 3339 string (or a Date, or epoch milliseconds) and returns a
// Date, or null when the value is missing or not a valid time.
export function parseTime(value) {
  if (value === null || value === undefined || value === '') return null
  let d
  if (value instanceof Date) d = new Date(value.getTime())
  else if (typeof value === 'number') d = new Date(value)
  else if (typeof value === 'string') {
    // Only accept RFC 3339 date-times with an explicit offset: a bare
    // "2026-11-25 10:00" would be read as browser-local time, silently.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return null
    d = new Date(value)
  } else return null
  return Number.isNaN(d.getTime()) ? null : d
}

// Beijing-time wall clock fields of a time value, or null.
export function beijingParts(value) {
  const d = parseTime(value)
  if (!d) return null
  const b = new Date(d.getTime() + BEIJING_OFFSET_MS)
  return {
    year: b.getUTCFullYear(), month: b.getUTCMonth() + 1, day: b.getUTCDate(),
    hour: b.getUTCHours(), minute: b.getUTCMinutes(), second: b.getUTCSeconds(),
  }
}

// Formats a time in Beijing time.
//   style 'datetime' (default): zh-CN "2026年11月25日 17:30", en "2026-11-25 17:30"
//   style 'date':               zh-CN "2026年11月25日",       en "2026-11-25"
//   style 'full':               like datetime with seconds
// en adds no zone suffix because the whole UI states it shows Beijing time.
// Returns '—' for a missing or invalid value so tables never show "NaN".
export function formatBeijing(value, locale = 'zh-CN', style = 'datetime') {
  const p = beijingParts(value)
  if (!p) return '—'
  const time = pad2(p.hour) + ':' + pad2(p.minute) + (style === 'full' ? ':' + pad2(p.second) : '')
  const date = locale === 'zh-CN'
    ? `${p.year}年${p.month}月${p.day}日`
    : `${p.year}-${pad2(p.month)}-${pad2(p.day)}`
  return style === 'date' ? date : date + ' ' + time
}

// Rounds to at most `digits` decimals and drops trailing zeros ("1.50" -> "1.5").
function trimFixed(x, digits) {
  let s = x.toFixed(digits)
  if (s.indexOf('.') >= 0) s = s.replace(/0+$/, '').replace(/\.$/, '')
  return s
}

// Thousands separators for an integer part given as a digit string.
function group3(intStr) {
  return intStr.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

// Formats a number for reading.
//   zh-CN: below 1万 as is (with separators); 1万 up to 1亿 in 万; 1亿 up to
//          1万亿 in 亿; above in 万亿.  12345 -> "1.23万", 320000000 -> "3.2亿"
//   en:    thousands separators, up to `digits` decimals. 12345 -> "12,345"
// `digits` (default 2) caps the decimals shown. Returns '—' for anything that
// is not a finite number (null, NaN, Infinity, a non-numeric string).
export function formatNumber(value, locale = 'zh-CN', digits = 2) {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—'
  const sign = n < 0 ? '-' : ''
  const a = Math.abs(n)
  if (locale === 'zh-CN') {
    // Pick the smallest unit in which the rounded figure stays below 1万 of
    // that unit: 9999 stays "9,999", 99999999 becomes "1亿" (not "10000万").
    const units = [[1, ''], [1e4, '万'], [1e8, '亿'], [1e12, '万亿']]
    for (let i = 0; i < units.length; i++) {
      const [size, name] = units[i]
      const shown = trimFixed(a / size, digits)
      if (Number(shown) < 1e4 || i === units.length - 1) {
        if (size === 1) break // plain number: separators below
        return sign + shown + name
      }
    }
  }
  const s = trimFixed(a, digits)
  const [i, f] = s.split('.')
  return sign + group3(i) + (f ? '.' + f : '')
}
