// One group: its profile, its members, and its history side by side — as the admin sees it
// (group_msg_get_simple with recalled messages) and as a chosen member sees it (the member
// method getGroupHistoryMessageList, run through /_timber/act) — one row per MsgSeq, with
// cleared, recalled and expired slots marked; and the chosen member's actions.
import * as api from "./api.js";
import { h, table, when, bodyText, badge, showError } from "./ui.js";
import { actionsFor } from "./act.js";

const PAGE = 20;

export default function group(root, groupId) {
  const info = h("div", { class: "card" }, h("p", { class: "hint" }, "loading…"));
  const members = h("div", { class: "card" });
  const history = h("div", { class: "card" });
  root.append(h("h2", {}, h("a", { href: "#groups" }, "Groups"), " / ", groupId), info, history, members);
  let head = null;
  let member = "";
  let top = 0; // the newest seq on the page shown; 0 = the newest of the group

  async function loadInfo() {
    const page = await api.kit("groups", { prefix: groupId, limit: 1 });
    head = page.Groups.find((g) => g.GroupId === groupId);
    if (!head) { info.replaceChildren(h("p", { class: "error" }, `No group ${groupId}.`)); return false; }
    info.replaceChildren(h("dl", { class: "kv" },
      h("dt", {}, "Type"), h("dd", {}, head.Type),
      h("dt", {}, "Name"), h("dd", {}, head.Name),
      h("dt", {}, "Owner"), h("dd", {}, head.Owner_Account || "—"),
      h("dt", {}, "Members"), h("dd", {}, head.MemberNum),
      h("dt", {}, "NextMsgSeq"), h("dd", { id: "next-msg-seq" }, head.NextMsgSeq),
      h("dt", {}, "Cleared up to"), h("dd", { id: "cleared-upto" }, head.ClearedUpTo || "nothing cleared"),
      h("dt", {}, "Created"), h("dd", {}, when(head.CreateTime))));
    return true;
  }

  async function loadMembers() {
    const answer = await api.rest("group_open_http_svc", "get_group_member_info", { GroupId: groupId, Limit: 100, Offset: 0 });
    const list = answer.MemberList ?? [];
    if (!member && list.length) member = (list.find((m) => m.Role !== "Owner") ?? list[0]).Member_Account;
    members.replaceChildren(h("h3", {}, `Members (${answer.MemberNum ?? list.length}${list.length < (answer.MemberNum ?? 0) ? ", first 100 shown" : ""})`),
      table([
        { title: "Member", cell: (m) => m.Member_Account },
        { title: "Role", cell: (m) => m.Role },
        { title: "Joined", cell: (m) => when(m.JoinTime) },
        { title: "Read up to", num: true, cell: (m) => m.MsgSeq ?? "" },
        { title: "", cell: (m) => h("a", { href: "#", onclick: (e) => { e.preventDefault(); member = m.Member_Account; loadHistory(); } }, "view as") },
      ], list));
    return list;
  }

  function slotOf(m, cleared) {
    if (m.MsgSeq <= cleared) return "cleared";
    if (m.IsPlaceMsg === 2) return "recalled";
    if (m.IsPlaceMsg === 1) return "expired";
    return "";
  }

  function adminCell(m, kind) {
    if (!m) return h("span", { class: "hint" }, "—");
    const marks = kind ? [badge(kind)] : [];
    const text = m.IsPlaceMsg === 1 ? "(no content)" : bodyText(m.MsgBody);
    return [marks, " ", h("span", { class: "from" }, m.From_Account || ""), text, h("span", { class: "time" }, when(m.MsgTimeStamp))];
  }

  function memberCell(m, seq, clearSeq, kind) {
    if (m) {
      if (m.IsPlaceMsg === 2) return [badge("recalled"), " ", h("span", { class: "from" }, m.From_Account), "recalled"];
      return [h("span", { class: "from" }, m.From_Account), bodyText(m.MsgBody), h("span", { class: "time" }, when(m.MsgTimeStamp))];
    }
    if (seq <= head.ClearedUpTo) return badge("cleared", "cleared");
    if (clearSeq && seq <= clearSeq) return badge("mine", "cleared for me");
    if (kind === "expired") return badge("expired");
    return badge("hidden", "not visible");
  }

  async function loadHistory() {
    history.replaceChildren(h("p", { class: "hint" }, "loading…"));
    try {
      await loadInfo();
      const req = { GroupId: groupId, ReqMsgNumber: PAGE, WithRecalledMsg: 1 };
      if (top) req.ReqMsgSeq = top;
      const admin = await api.rest("group_open_http_svc", "group_msg_get_simple", req);
      const rows = admin.RspMsgList ?? [];
      const hi = rows.length ? Math.max(...rows.map((m) => m.MsgSeq)) : 0;
      const lo = rows.length ? Math.min(...rows.map((m) => m.MsgSeq)) : 0;
      let seen = null;
      let clearSeq = 0;
      if (member) {
        try {
          seen = await api.act(member, "getGroupHistoryMessageList", { groupID: groupId, count: PAGE, lastMsgSeq: hi + 1 });
          clearSeq = seen.clearSeq ?? 0;
        } catch (e) { seen = { error: e.message, messages: [] }; }
      }
      const bySeq = new Map((seen?.messages ?? []).map((m) => [m.MsgSeq, m]));
      const picker = h("input", { value: member, "aria-label": "member", size: 16, list: "member-list" });
      const view = h("button", { class: "quiet", onclick: () => { member = picker.value.trim(); loadHistory(); } }, "View as member");
      const older = h("button", { class: "quiet", disabled: lo <= 1, onclick: () => { top = lo - 1; loadHistory(); } }, "← Older");
      const newest = h("button", { class: "quiet", disabled: !top, onclick: () => { top = 0; loadHistory(); } }, "Newest");
      const ordered = [...rows].sort((a, b) => b.MsgSeq - a.MsgSeq);
      history.replaceChildren(...[
        h("h3", {}, "History"),
        h("div", { class: "toolbar" }, h("span", {}, "member:"), picker, view, older, newest,
          h("span", { class: "count" }, rows.length ? `MsgSeq ${lo}–${hi}` : "no messages")),
        h("div", { class: "legend" }, badge("cleared"), "at or below the group's cleared watermark",
          badge("recalled"), "recalled", badge("expired"), "past retention or never stored",
          badge("mine", "cleared for me"), "cleared by the member", badge("hidden", "not visible"), "before the member joined, or not addressed to them"),
        seen?.error ? h("p", { class: "error" }, `As ${member}: ${seen.error}`) : null,
        table([
          { title: "MsgSeq", num: true, cell: (m) => m.MsgSeq },
          { title: "As the admin sees it", class: "msg", cell: (m) => adminCell(m, slotOf(m, head.ClearedUpTo)) },
          { title: member ? `As ${member} sees it` : "As a member sees it", class: "msg", cell: (m) => member ? memberCell(bySeq.get(m.MsgSeq), m.MsgSeq, clearSeq, slotOf(m, head.ClearedUpTo)) : "" },
        ], ordered, (m) => {
          const kind = slotOf(m, head.ClearedUpTo);
          return { class: kind ? `slot-${kind}` : null, dataset: { seq: m.MsgSeq, slot: kind || "message", member: bySeq.has(m.MsgSeq) ? "shown" : "absent" } };
        }),
        member ? actionsFor(member, groupId, loadHistory) : null].filter(Boolean));
    } catch (e) { showError(history, e); }
  }

  loadInfo().then(async (found) => {
    if (!found) return;
    try { await loadMembers(); } catch (e) { showError(members, e); }
    await loadHistory();
  });
}
