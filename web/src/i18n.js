// i18n.js - interface language: zh-CN by default, en on request.
//
// The choice is remembered in localStorage under LOCALE_KEY and mirrored in
// <html lang> (screen readers, fonts, hyphenation). Element Plus gets its own
// locale through <el-config-provider> in App.vue, driven by the same value.
import { createI18n } from 'vue-i18n'
import zhCN from './locales/zh-CN.js'
import en from './locales/en.js'

export const LOCALE_KEY = 'parkline.locale'
export const LOCALES = ['zh-CN', 'en']
export const DEFAULT_LOCALE = 'zh-CN'

// Reads the remembered locale; anything unknown (or storage being blocked)
// falls back to the default.
export function storedLocale(storage) {
  try {
    const v = storage && storage.getItem(LOCALE_KEY)
    return LOCALES.includes(v) ? v : DEFAULT_LOCALE
  } catch {
    return DEFAULT_LOCALE
  }
}

export function createAppI18n(storage) {
  const locale = storedLocale(storage)
  document.documentElement.lang = locale
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: DEFAULT_LOCALE,
    messages: { 'zh-CN': zhCN, en },
  })
}

// Switches the UI language and remembers it.
export function setLocale(i18n, storage, locale) {
  if (!LOCALES.includes(locale)) return
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  try {
    storage.setItem(LOCALE_KEY, locale)
  } catch {
    // Private mode / storage disabled: the switch still applies to this page.
  }
}
