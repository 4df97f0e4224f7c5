// Response helpers: every handler returns { status, body }.

export function ok(body) {
  return { status: 200, body };
}

export function created(body) {
  return { status: 201, body };
}

export function badRequest(message) {
  return { status: 400, body: { error: message } };
}

export function notFound(message = 'not found') {
  return { status: 404, body: { error: message } };
}
