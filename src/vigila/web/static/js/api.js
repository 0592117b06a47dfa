// Calls to vigila's HTTP API, with the API key of this tab when the server requires one.

const KEY = "vigila.apiKey";

export class ApiError extends Error {
  constructor(status, reason, message) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

let onUnauthenticated = () => {};

/** What to do when the server refuses the key (ask for another). */
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

/** The server refused the key: forget it and ask for another. */
export function unauthenticated() {
  setApiKey(null);
  onUnauthenticated();
}

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

/** Request headers: the key as the API's `Authorization: Bearer` header when there is one. */
export function authHeaders(extra = {}) {
  const key = apiKey();
  return key ? {...extra, Authorization: `Bearer ${key}`} : {...extra};
}

/** A URL for `path` with the query parameters that are set (arrays repeat the name). */
export function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(name, String(item));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** GET (or `init.method`) a JSON answer; throws `ApiError` with the API's reason. */
export async function request(path, init = {}) {
  const headers = authHeaders(init.body ? {"Content-Type": "application/json"} : {});
  const response = await fetch(path, {...init, headers, cache: "no-store"});
  if (response.status === 204) return null;
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body && body.error ? body.error : {reason: "http_error", message: response.statusText};
    if (response.status === 401) unauthenticated();
    throw new ApiError(response.status, error.reason, error.message);
  }
  return body;
}

export const get = (path, params) => request(url(path, params));
export const post = (path, body) => request(path, {method: "POST", body: JSON.stringify(body)});
