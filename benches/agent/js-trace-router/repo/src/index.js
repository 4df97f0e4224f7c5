export { createApp } from './app.js';
export { Router } from './router.js';
export { compilePattern } from './pattern.js';
export { parseUrl } from './request.js';
