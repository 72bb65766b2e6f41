// keys.js - injection keys for the objects main.js provides to components.
export const API_KEY = Symbol('parkline.api')
export const SESSION_KEY = Symbol('parkline.session')
export const STORAGE_KEY = Symbol('parkline.storage')
