// The console's shell: sign-in (from the form, or from the URL's fragment that timber's
// start banner prints: the fragment never leaves the browser), the tabs, and routing by
// fragment (#groups, #group/ID, …).
import * as api from "./api.js";
import { h } from "./ui.js";
import accounts from "./accounts.js";
import groups from "./groups.js";
import group from "./history.js";
import c2c from "./c2c.js";
import callbacks from "./callbacks.js";
import events from "./events.js";
import act from "./act.js";

const views = { accounts, groups, group, c2c, callbacks, events, act };
let stopView = null;

function fromFragment() {
  const f = new URLSearchParams(location.hash.slice(1));
  if (!f.get("sdkappid") || !f.get("usersig")) return null;
  return { sdkappid: f.get("sdkappid"), identifier: f.get("identifier") || "administrator", usersig: f.get("usersig") };
}

async function signIn(c) {
  api.remember(c);
  try {
    // Any admin-only call proves the UserSig; this one is cheap.
    await api.kit("accounts", { limit: 1 });
    return true;
  } catch (e) {
    api.forget();
    document.getElementById("signin-error").textContent = `Sign-in refused: ${e.message}`;
    return false;
  }
}

function showSignIn() {
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  document.getElementById("view").replaceChildren();
  document.getElementById("signin").hidden = false;
}

function route() {
  const c = api.credentials();
  if (!c) return showSignIn();
  document.getElementById("signin").hidden = true;
  document.getElementById("nav").hidden = false;
  const who = document.getElementById("who");
  who.hidden = false;
  who.replaceChildren(
    h("span", {}, `SDKAppID ${c.sdkappid} · ${c.identifier}`),
    h("button", { onclick: () => { api.forget(); location.hash = ""; showSignIn(); } }, "Sign out"));
  const [name, ...rest] = (location.hash.slice(1) || "groups").split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
  const view = views[name] || groups;
  for (const a of document.querySelectorAll("nav a")) {
    const tab = a.getAttribute("href").slice(1);
    a.classList.toggle("active", tab === name || (name === "group" && tab === "groups"));
  }
  if (stopView) stopView();
  stopView = null;
  const root = document.getElementById("view");
  root.replaceChildren();
  const stop = view(root, arg);
  if (typeof stop === "function") stopView = stop;
}

document.getElementById("signin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const c = { sdkappid: f.get("sdkappid").trim(), identifier: f.get("identifier").trim(), usersig: f.get("usersig").trim() };
  if (await signIn(c)) { location.hash = "groups"; route(); }
});

/** Signs in from credentials in the fragment, if it holds any; true when it did. */
function fragmentSignIn() {
  const given = fromFragment();
  if (!given) return false;
  // Out of the address bar and the history at once, whatever the answer.
  history.replaceState(null, "", location.pathname + "#groups");
  signIn(given).then(route);
  return true;
}

window.addEventListener("hashchange", () => { if (!fragmentSignIn()) route(); });
if (!fragmentSignIn()) route();
