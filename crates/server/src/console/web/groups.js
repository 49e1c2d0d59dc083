// Groups: searched by GroupId prefix and type, paged on the server (100,000 groups are
// never read at once), with each group's head and cleared watermark.
import * as api from "./api.js";
import { h, table, when, pager, showError } from "./ui.js";

const TYPES = ["", "Private", "Public", "ChatRoom", "AVChatRoom", "Community"];

export default function groups(root) {
  const search = h("input", { type: "search", placeholder: "GroupId starts with…", "aria-label": "search groups" });
  const type = h("select", { "aria-label": "group type" }, TYPES.map((t) => h("option", { value: t }, t || "all types")));
  const count = h("span", { class: "count" });
  const list = h("div");
  const p = pager(async (after) => {
    try {
      const page = await api.kit("groups", { prefix: search.value.trim(), type: type.value, after, limit: 50 });
      count.textContent = `${page.Total} groups in the app`;
      list.replaceChildren(table([
        { title: "GroupId", cell: (g) => h("a", { href: `#group/${encodeURIComponent(g.GroupId)}` }, g.GroupId) },
        { title: "Type", cell: (g) => g.Type },
        { title: "Name", cell: (g) => g.Name },
        { title: "Owner", cell: (g) => g.Owner_Account || "—" },
        { title: "Members", num: true, cell: (g) => g.MemberNum },
        { title: "NextMsgSeq", num: true, cell: (g) => g.NextMsgSeq },
        { title: "Cleared up to", num: true, cell: (g) => g.ClearedUpTo || "—" },
        { title: "Created", cell: (g) => when(g.CreateTime) },
      ], page.Groups, (g) => ({ dataset: { group: g.GroupId } })));
      return page.Next;
    } catch (e) { showError(list, e); return null; }
  });
  let timer;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => p.restart(), 250); });
  type.addEventListener("change", () => p.restart());
  root.append(h("h2", {}, "Groups"), h("div", { class: "toolbar" }, search, type, count), list, p.el);
  p.restart();
}
