// The console's calls to timber: the REST API and the admin endpoints under /_timber/, each
// with the signed-in admin's SDKAppID, identifier and UserSig in the query, as the REST API
// takes them. The credentials live in sessionStorage: gone when the tab closes.

const KEY = "timber.console.credentials";

export function credentials() {
  try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; }
}

export function remember(c) { sessionStorage.setItem(KEY, JSON.stringify(c)); }
export function forget() { sessionStorage.removeItem(KEY); }

function query(extra = {}) {
  const c = credentials();
  const q = new URLSearchParams({ sdkappid: c.sdkappid, identifier: c.identifier, usersig: c.usersig });
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  return q.toString();
}

/** An answer whose ActionStatus is not OK. */
export class Failure extends Error {
  constructor(answer) {
    super(`${answer.ErrorCode}: ${answer.ErrorInfo}`);
    this.code = answer.ErrorCode;
    this.answer = answer;
  }
}

async function envelope(resp) {
  const answer = await resp.json();
  if (answer.ActionStatus !== "OK") throw new Failure(answer);
  return answer;
}

/** POST /v4/{service}/{command} with a JSON body. */
export async function rest(service, command, body = {}) {
  const random = Math.floor(Math.random() * 4294967295);
  const url = `/v4/${service}/${command}?${query({ random, contenttype: "json" })}`;
  return envelope(await fetch(url, { method: "POST", body: JSON.stringify(body) }));
}

/** GET /_timber/{path} with more query parameters. */
export async function kit(path, params = {}) {
  return envelope(await fetch(`/_timber/${path}?${query(params)}`));
}

/** Runs a member method as `as` (POST /_timber/act). */
export async function act(as, method, params = {}) {
  const resp = await fetch(`/_timber/act?${query({ as })}`, {
    method: "POST",
    body: JSON.stringify({ method, params }),
  });
  return (await envelope(resp)).Result;
}

/** The URL of the app's live feed (GET /_timber/events, server-sent events). */
export function eventsUrl() { return `/_timber/events?${query()}`; }
