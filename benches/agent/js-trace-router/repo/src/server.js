import http from 'node:http';

import { createApp } from './app.js';

const app = createApp();
const port = Number(process.env.PORT ?? 3000);

http
  .createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : undefined;
      const response = app.handle({ method: req.method, url: req.url, body });
      res.writeHead(response.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(response.body));
    });
  })
  .listen(port, () => console.log(`listening on http://localhost:${port}`));
