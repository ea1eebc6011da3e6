// fetch() for the JSON API with the browser session: the CSRF header on unsafe requests,
// and one transparent retry after refreshing the session cookies when the API says 401.

const CSRF_COOKIE = "parley_csrf";
const REFRESHED_AT = "parley-refreshed-at";
let refreshing = null;

export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return "";
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || "error";
  }
}

function recentlyRefreshed() {
  try {
    return Date.now() - Number(localStorage.getItem(REFRESHED_AT) || 0) < 10_000;
  } catch {
    return false;
  }
}

function noteRefresh() {
  try {
    localStorage.setItem(REFRESHED_AT, String(Date.now()));
  } catch {
    /* private mode: tabs just refresh on their own */
  }
}

async function postRefresh() {
  const response = await fetch("/auth/refresh", {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken() },
  });
  if (response.ok) noteRefresh();
  return response.ok;
}

/**
 * Rotate the session cookies. One rotation at a time, across tabs too (a refresh token is
 * single-use: two tabs presenting the same one would look like theft and end the session).
 */
export function refreshSession() {
  if (!refreshing) {
    const run = navigator.locks
      ? navigator.locks.request("parley-refresh", () => (recentlyRefreshed() ? true : postRefresh()))
      : postRefresh();
    refreshing = Promise.resolve(run)
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

export function goToLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

export async function api(method, path, body) {
  const send = () => {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
    return fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  let response = await send();
  if (response.status === 401 && (await refreshSession())) response = await send();
  if (response.status === 401) goToLogin();
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      /* not a problem document */
    }
    throw new ApiError(response.status, problem);
  }
  return response.status === 204 ? null : response.json();
}
