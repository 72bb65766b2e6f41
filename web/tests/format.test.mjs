// format.test.mjs - Beijing-time and 万/亿 formatting (src/format.js), as
// tables of {input, expected}.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { beijingParts, formatBeijing, formatNumber, parseTime } from '../src/format.js'

test('formatBeijing converts UTC to Beijing time (UTC+8, no DST)', () => {
  const cases = [
    // [input, locale, style, expected]
    ['2026-11-25T09:30:00.000Z', 'zh-CN', 'datetime', '2026年11月25日 17:30'],
    ['2026-11-25T09:30:00.000Z', 'en', 'datetime', '2026-11-25 17:30'],
    // Crossing midnight moves the date forward.
    ['2026-11-25T16:00:00.000Z', 'zh-CN', 'date', '2026年11月26日'],
    ['2026-12-31T15:59:59.999Z', 'zh-CN', 'full', '2026年12月31日 23:59:59'],
    ['2026-12-31T16:00:00Z', 'en', 'full', '2027-01-01 00:00:00'],
    // Explicit offsets are honoured: 08:00+08:00 is 08:00 in Beijing.
    ['2026-07-01T08:00:00+08:00', 'zh-CN', 'datetime', '2026年7月1日 08:00'],
    ['2026-07-01T00:00:00-05:00', 'en', 'datetime', '2026-07-01 13:00'],
    // Summer: still +8 (China has had no DST since 1991).
    ['2026-07-15T04:05:06Z', 'en', 'full', '2026-07-15 12:05:06'],
    // Leap day.
    ['2028-02-28T20:00:00Z', 'zh-CN', 'date', '2028年2月29日'],
    // Missing or invalid values never print NaN.
    [null, 'zh-CN', 'datetime', '—'],
    ['', 'zh-CN', 'datetime', '—'],
    ['not a date', 'en', 'datetime', '—'],
    ['2026-11-25 09:30', 'zh-CN', 'datetime', '—'], // no offset: ambiguous, refused
    ['2026-13-45T00:00:00Z', 'zh-CN', 'datetime', '—'],
    [{}, 'zh-CN', 'datetime', '—'],
  ]
  for (const [input, locale, style, expected] of cases) {
    assert.equal(formatBeijing(input, locale, style), expected, `${JSON.stringify(input)} ${locale} ${style}`)
  }
})

test('formatBeijing accepts Date objects and epoch milliseconds', () => {
  const ms = Date.UTC(2026, 0, 1, 0, 0, 0)
  assert.equal(formatBeijing(new Date(ms), 'en', 'full'), '2026-01-01 08:00:00')
  assert.equal(formatBeijing(ms, 'zh-CN'), '2026年1月1日 08:00')
  assert.equal(formatBeijing(NaN, 'zh-CN'), '—')
})

test('parseTime and beijingParts', () => {
  assert.equal(parseTime('garbage'), null)
  assert.equal(parseTime(undefined), null)
  assert.deepEqual(beijingParts('2026-11-25T23:59:00Z'),
    { year: 2026, month: 11, day: 26, hour: 7, minute: 59, second: 0 })
})

test('formatNumber uses 万/亿 in Chinese and separators in English', () => {
  const cases = [
    // [input, locale, digits, expected]
    [0, 'zh-CN', 2, '0'],
    [9999, 'zh-CN', 2, '9,999'],
    [10000, 'zh-CN', 2, '1万'],
    [12345, 'zh-CN', 2, '1.23万'],
    [12355, 'zh-CN', 2, '1.24万'],
    [150000, 'zh-CN', 2, '15万'],
    [99999999, 'zh-CN', 2, '1亿'], // rounds up into the next unit, not "10000万"
    [320000000, 'zh-CN', 2, '3.2亿'],
    [1263800000, 'zh-CN', 2, '12.64亿'],
    [1263800000, 'zh-CN', 1, '12.6亿'],
    [1.5e12, 'zh-CN', 2, '1.5万亿'],
    [-25000, 'zh-CN', 2, '-2.5万'],
    [3.14159, 'zh-CN', 2, '3.14'],
    ['12345', 'zh-CN', 2, '1.23万'],
    [12345, 'en', 2, '12,345'],
    [1234567.891, 'en', 2, '1,234,567.89'],
    [-1000, 'en', 0, '-1,000'],
    [0.5, 'en', 2, '0.5'],
    [null, 'zh-CN', 2, '—'],
    [undefined, 'en', 2, '—'],
    [NaN, 'zh-CN', 2, '—'],
    [Infinity, 'zh-CN', 2, '—'],
    ['abc', 'zh-CN', 2, '—'],
    ['', 'en', 2, '—'],
  ]
  for (const [input, locale, digits, expected] of cases) {
    assert.equal(formatNumber(input, locale, digits), expected, `${String(input)} ${locale} ${digits}`)
  }
})
