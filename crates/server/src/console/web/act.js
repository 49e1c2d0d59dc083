// Acting as a member (POST /_timber/act): a member method run as that account, with the
// REST API's rules and callbacks, so that a backend's callback handlers can be exercised by
// hand. `actionsFor` is the short form the group page shows under its history.
import * as api from "./api.js";
import { h, pretty } from "./ui.js";

const TEMPLATES = {
  sendMessage: { groupID: "", msgBody: [{ MsgType: "TIMTextElem", MsgContent: { Text: "hello" } }] },
  revokeMessage: { groupID: "", msgSeq: 1 },
  clearGroupHistoryMessage: { groupID: "" },
  joinGroup: { groupID: "", message: "" },
  quitGroup: { groupID: "" },
  markGroupMessageAsRead: { groupID: "" },
  getGroupHistoryMessageList: { groupID: "", count: 20 },
  getConversationList: {},
  getJoinedGroupList: {},
};

function show(where, promise) {
  where.replaceChildren(h("p", { class: "hint" }, "…"));
  return promise.then(
    (r) => { where.replaceChildren(h("div", { class: "hint" }, "OK"), h("pre", { class: "ok-result" }, pretty(r))); return r; },
    (e) => { where.replaceChildren(h("p", { class: "error", role: "alert" }, e.message)); });
}

/** Send, recall, clear for me and join, as `member` in `groupId`; `after` reloads the page. */
export function actionsFor(member, groupId, after) {
  const text = h("input", { "aria-label": "message text", placeholder: "message text", value: "hello from the console" });
  const seq = h("input", { "aria-label": "MsgSeq to recall", placeholder: "MsgSeq", size: 6, inputmode: "numeric" });
  const out = h("div", { class: "result" });
  const run = (method, params) => show(out, api.act(member, method, { groupID: groupId, ...params })).then(after);
  return h("div", { class: "card", id: "act-in-group" }, h("h3", {}, `Act as ${member}`),
    h("div", { class: "actions" },
      text, h("button", { onclick: () => run("sendMessage", { msgBody: [{ MsgType: "TIMTextElem", MsgContent: { Text: text.value } }] }) }, "Send"),
      seq, h("button", { onclick: () => run("revokeMessage", { msgSeq: Number(seq.value) }) }, "Recall"),
      h("button", { class: "quiet", onclick: () => run("clearGroupHistoryMessage", {}) }, "Clear for me"),
      h("button", { class: "quiet", onclick: () => run("joinGroup", {}) }, "Join")),
    out);
}

export default function act(root, who) {
  const as = h("input", { id: "act-as", "aria-label": "member", placeholder: "UserID", value: who ?? "" });
  const method = h("select", { id: "act-method", "aria-label": "method" }, Object.keys(TEMPLATES).map((m) => h("option", { value: m }, m)));
  const params = h("textarea", { id: "act-params", rows: 10, "aria-label": "params" });
  const out = h("div", { class: "result", id: "act-result" });
  const fill = () => { params.value = JSON.stringify(TEMPLATES[method.value], null, 2); };
  method.addEventListener("change", fill);
  fill();
  const go = h("button", { id: "act-run", onclick: () => {
    let p;
    try { p = JSON.parse(params.value || "{}"); } catch (e) { out.replaceChildren(h("p", { class: "error" }, `params: ${e.message}`)); return; }
    show(out, api.act(as.value.trim(), method.value, p));
  } }, "Run");
  root.append(h("h2", {}, "Act as a member"),
    h("p", { class: "hint" }, "Runs one member method (members.md) as the account, with the same rules, codes and callbacks as its own connection would."),
    h("div", { class: "card" },
      h("div", { class: "grid2" },
        h("div", {}, h("label", {}, "Member", as), h("label", {}, "Method", method), go),
        h("label", {}, "Params (JSON)", params)),
      out));
}
