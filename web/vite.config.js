// Vite build for the Parkline web UI. Output goes to web/dist, which
// `parkline serve --web-root web/dist` serves; assets carry content hashes so
// the daemon's ETag/304 handling and long caching both work. Everything is
// bundled from node_modules: the page loads nothing from outside the daemon.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
  define: {
    // vue-i18n feature flags for the esm-bundler build: composition API
    // only, no devtools in production bundles.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Element Plus ends up whole in its chunk (~940 kB, ~300 kB gzipped):
    // its index builds the installer from every component, which defeats
    // tree-shaking. Later pages use most of it anyway (tables, forms,
    // drawers, date pickers), and the chunk is content-hashed, so it is
    // fetched once. The limit warns if anything grows beyond that.
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      onwarn(warning, warn) {
        // @vueuse/core ships /* #__PURE__ */ comments Rollup cannot place;
        // harmless, and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && /node_modules/.test(warning.id || '')) return
        warn(warning)
      },
      output: {
        // Vendor code changes rarely: its own chunks keep the app chunk
        // small and cacheable. ECharts is not listed: the chart component loads it
        // lazily and Rollup gives it its own chunk.
        manualChunks(id) {
          if (!id.includes('/node_modules/')) return undefined
          if (/\/node_modules\/(element-plus|@element-plus|@vueuse|@floating-ui|@popperjs|@sxzz|lodash|lodash-es|lodash-unified|dayjs|async-validator|@ctrl|memoize-one|normalize-wheel-es)\//.test(id)) return 'element-plus'
          if (/\/node_modules\/(@vue|vue|vue-router|vue-i18n|@intlify)\//.test(id)) return 'vue'
          return undefined
        },
      },
    },
  },
  server: {
    // `npm run dev` proxies the API to a daemon started separately:
    // PARKLINE_API=http://127.0.0.1:8080 npm run dev
    proxy: {
      '/api': process.env.PARKLINE_API || 'http://127.0.0.1:8080',
    },
  },
})
