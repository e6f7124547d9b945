/** The SWC options that keep what TypeScript's `emitDecoratorMetadata` keeps; shared by the CommonJS and ESM hooks. */
import path from 'node:path';

export function swcOptions(file: string, module: 'commonjs' | 'es6'): Record<string, unknown> {
  const ext = path.extname(file);
  return {
    filename: file,
    swcrc: false,
    configFile: false,
    sourceMaps: 'inline',
    module: { type: module },
    jsc: {
      target: 'es2022',
      keepClassNames: true,
      parser: { syntax: 'typescript', tsx: ext === '.tsx', decorators: true },
      // what `experimentalDecorators` + `emitDecoratorMetadata` mean to tsc (and what Nest's own SWC builder sets)
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
  };
}
