import pkg from '../package.json' with { type: 'json' };

/** holdfast's version, from package.json (the bundle inlines it: nothing is read at run time). */
export const VERSION: string = pkg.version;
