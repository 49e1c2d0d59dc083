// Accounts: searched by UserID prefix and paged on the server; a profile on click
// (portrait_get, the REST API's own).
import * as api from "./api.js";
import { h, table, when, pager, showError, pretty } from "./ui.js";

export default function accounts(root) {
  const search = h("input", { type: "search", placeholder: "UserID starts with…", "aria-label": "search accounts" });
  const count = h("span", { class: "count" });
  const list = h("div");
  const profile = h("div", { class: "card", hidden: true });
  const p = pager(async (after) => {
    try {
      const page = await api.kit("accounts", { prefix: search.value.trim(), after, limit: 50 });
      count.textContent = `${page.Total} accounts in the app`;
      list.replaceChildren(table([
        { title: "UserID", cell: (a) => h("a", { href: "#", onclick: (e) => { e.preventDefault(); show(a.UserID); } }, a.UserID) },
        { title: "Nick", cell: (a) => a.Nick ?? "" },
        { title: "Created", cell: (a) => when(a.CreateTime) },
        { title: "", cell: (a) => h("a", { href: `#act/${encodeURIComponent(a.UserID)}` }, "act as") },
      ], page.Accounts));
      return page.Next;
    } catch (e) { showError(list, e); return null; }
  });
  async function show(user) {
    profile.hidden = false;
    profile.replaceChildren(h("h3", {}, `Profile of ${user}`), h("p", { class: "hint" }, "loading…"));
    try {
      const answer = await api.rest("profile", "portrait_get", { To_Account: [user], TagList: ["Tag_Profile_IM_Nick", "Tag_Profile_IM_Image", "Tag_Profile_IM_Gender", "Tag_Profile_IM_SelfSignature", "Tag_Profile_IM_Location", "Tag_Profile_IM_Language"] });
      const items = answer.UserProfileItem?.[0]?.ProfileItem ?? [];
      profile.replaceChildren(h("h3", {}, `Profile of ${user}`),
        table([{ title: "Tag", cell: (i) => h("code", {}, i.Tag) }, { title: "Value", cell: (i) => pretty(i.Value) }], items));
    } catch (e) { showError(profile, e); }
  }
  let timer;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => p.restart(), 250); });
  root.append(h("h2", {}, "Accounts"), h("div", { class: "toolbar" }, search, count), list, p.el, profile);
  p.restart();
}
