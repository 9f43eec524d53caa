/** Which config the CLI uses: --config, else $TELENODE_CONFIG, else the embedded defaults. */
import type { Config } from '../config/schema.js';
import { defaultConfig, loadConfigFile } from '../config/load.js';

export function resolveConfig(path: string | undefined): { config: Readonly<Config>; source: string } {
  const file = path ?? process.env['TELENODE_CONFIG'];
  if (file) return { config: loadConfigFile(file), source: file };
  return { config: defaultConfig(), source: '<embedded defaults>' };
}
