/** Version of the engine's semantics, recorded with every run. Bump when a trace could change. */
export const ENGINE_VERSION = '0.4.0';
