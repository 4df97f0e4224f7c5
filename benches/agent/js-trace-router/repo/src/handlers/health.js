import { ok } from '../responses.js';

export function health() {
  return ok({ status: 'up' });
}
