/**
 * The Shoelace components the console uses, each imported on its own (no autoloader, no
 * CDN), and its icon libraries pointed at the console's own origin (see vite.config.ts).
 * Not sl-progress-bar: its first render writes a style attribute (lit's styleMap), which
 * the console's CSP (style-src 'self', no 'unsafe-inline') refuses; native <progress> and
 * <meter> do the job without it.
 */
import '@shoelace-style/shoelace/dist/themes/light.css';
import { registerIconLibrary } from '@shoelace-style/shoelace/dist/utilities/icon-library.js';
import '@shoelace-style/shoelace/dist/components/alert/alert.js';
import '@shoelace-style/shoelace/dist/components/button/button.js';
import '@shoelace-style/shoelace/dist/components/checkbox/checkbox.js';
import '@shoelace-style/shoelace/dist/components/details/details.js';
import '@shoelace-style/shoelace/dist/components/dialog/dialog.js';
import '@shoelace-style/shoelace/dist/components/divider/divider.js';
import '@shoelace-style/shoelace/dist/components/dropdown/dropdown.js';
import '@shoelace-style/shoelace/dist/components/icon/icon.js';
import '@shoelace-style/shoelace/dist/components/input/input.js';
import '@shoelace-style/shoelace/dist/components/menu/menu.js';
import '@shoelace-style/shoelace/dist/components/menu-item/menu-item.js';
import '@shoelace-style/shoelace/dist/components/option/option.js';
import '@shoelace-style/shoelace/dist/components/radio/radio.js';
import '@shoelace-style/shoelace/dist/components/radio-group/radio-group.js';
import '@shoelace-style/shoelace/dist/components/select/select.js';
import '@shoelace-style/shoelace/dist/components/spinner/spinner.js';
import '@shoelace-style/shoelace/dist/components/textarea/textarea.js';

const icons = `${import.meta.env.BASE_URL}icons/`;
registerIconLibrary('system', { resolver: (name) => `${icons}system/${name}.svg` });
registerIconLibrary('default', { resolver: (name) => `${icons}${name}.svg` });
