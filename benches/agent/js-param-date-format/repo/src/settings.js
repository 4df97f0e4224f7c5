// Application settings with defaults.

export const defaultSettings = Object.freeze({
  currency: 'USD',
  dateFormat: 'iso',
  paymentTermsDays: 30,
});

/** Default settings with the given overrides applied. */
export function loadSettings(overrides = {}) {
  return { ...defaultSettings, ...overrides };
}
