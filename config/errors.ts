// Errors of the settings, each with a stable code (docs/errors.md).

/** A setting (variable or region file entry) that cannot be used; the region does not start. */
export class ConfigError extends Error {
  readonly code = 'CICSMAIL_CONFIG';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`${key}: ${reason}`);
  }
}
