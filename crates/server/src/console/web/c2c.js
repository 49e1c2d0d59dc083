// One-to-one conversations, paged on the server (optionally one account's), and a
// conversation's messages through admin_getroammsg.
import * as api from "./api.js";
import { h, table, when, bodyText, pager, showError } from "./ui.js";

export default function c2c(root) {
  const user = h("input", { type: "search", placeholder: "UserID (either side)", "aria-label": "conversations of" });
  const count = h("span", { class: "count" });
  const list = h("div");
  const messages = h("div", { class: "card", hidden: true });
  const p = pager(async (after) => {
    try {
      const page = await api.kit("c2c", { user: user.value.trim(), after, limit: 50 });
      count.textContent = `${page.Total} conversations in the app`;
      list.replaceChildren(table([
        { title: "Between", cell: (c) => h("a", { href: "#", onclick: (e) => { e.preventDefault(); show(c.UserA, c.UserB); } }, `${c.UserA} ↔ ${c.UserB}`) },
        { title: "Last message", cell: (c) => when(c.LastTime) },
      ], page.Conversations));
      return page.Next === null ? null : String(page.Next);
    } catch (e) { showError(list, e); return null; }
  });
  async function show(a, b) {
    messages.hidden = false;
    messages.replaceChildren(h("h3", {}, `${a} ↔ ${b}`), h("p", { class: "hint" }, "loading…"));
    try {
      const answer = await api.rest("openim", "admin_getroammsg", {
        Operator_Account: a, Peer_Account: b, MaxCnt: 100, MinTime: 0, MaxTime: Math.floor(Date.now() / 1000) + 60,
      });
      const list = [...(answer.MsgList ?? [])].sort((x, y) => y.MsgTimeStamp - x.MsgTimeStamp);
      messages.replaceChildren(h("h3", {}, `${a} ↔ ${b} (newest 100)`), table([
        { title: "Time", cell: (m) => when(m.MsgTimeStamp) },
        { title: "From", cell: (m) => m.From_Account },
        { title: "To", cell: (m) => m.To_Account },
        { title: "Message", class: "msg", cell: (m) => bodyText(m.MsgBody) },
      ], list));
    } catch (e) { showError(messages, e); }
  }
  let timer;
  user.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => p.restart(), 250); });
  root.append(h("h2", {}, "One-to-one conversations"), h("div", { class: "toolbar" }, user, count), list, p.el, messages);
  p.restart();
}
