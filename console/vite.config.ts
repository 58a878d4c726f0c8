/**
 * The web console: a single-page app served at /console/ (npm start serves console/dist;
 * on AWS, CloudFront serves it from S3). `npm run console:build` builds it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const shoelace = dirname(require.resolve('@shoelace-style/shoelace/dist/shoelace.js'));

/** Bootstrap icons the console's own sl-icon elements name (the `default` library). */
const DEFAULT_ICONS = ['person-circle', 'box-arrow-right', 'arrow-repeat', 'download', 'plus-lg', 'trash', 'pause-fill', 'play-fill', 'arrow-up-circle', 'check-circle-fill', 'x-circle-fill', 'circle', 'dash-circle'];
/** Every icon of Shoelace's `system` library (its components use them: the select's caret, the dialog's close button…). */
const SYSTEM_ICONS = ['caret', 'check', 'chevron-down', 'chevron-left', 'chevron-right', 'copy', 'eye', 'eye-slash', 'eyedropper', 'grip-vertical', 'indeterminate', 'person-fill', 'play-fill', 'pause-fill', 'radio', 'star-fill', 'x-lg', 'x-circle-fill'];

/**
 * Shoelace's system icons are data: URLs that sl-icon fetch()es, which `connect-src 'self'`
 * refuses; and its default library would load icons from its base path. The console
 * registers both libraries at `<base>icons/…` (src/icons.ts), and this plugin puts exactly
 * those SVG files there: nothing is fetched from anywhere but the console's own origin.
 */
function shoelaceIcons(): Plugin {
  const files = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    const { default: system } = (await import(join(shoelace, 'components/icon/library.system.js'))) as { default: { resolver: (name: string) => string } };
    for (const name of SYSTEM_ICONS) {
      const url = system.resolver(name);
      out.set(`icons/system/${name}.svg`, decodeURIComponent(url.slice(url.indexOf(',') + 1)).trim());
    }
    for (const name of DEFAULT_ICONS) out.set(`icons/${name}.svg`, readFileSync(join(shoelace, 'assets/icons', `${name}.svg`), 'utf8'));
    return out;
  };
  return {
    name: 'palette-shoelace-icons',
    async generateBundle() {
      for (const [fileName, source] of await files()) this.emitFile({ type: 'asset', fileName, source });
    },
    configureServer(server) {
      const served = files();
      server.middlewares.use(async (req, res, next) => {
        const path = (req.url ?? '').split('?')[0]!.replace(/^\/console\//, '');
        const svg = (await served).get(path);
        if (!svg) return next();
        res.setHeader('content-type', 'image/svg+xml');
        res.end(svg);
      });
    },
  };
}

export default defineConfig({
  root,
  base: '/console/',
  publicDir: 'public',
  plugins: [shoelaceIcons()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline assets: the CSP allows data: only for images.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
