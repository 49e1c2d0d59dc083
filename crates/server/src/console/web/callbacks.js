// The callbacks timber sent to the app's callback_url (GET /_timber/callbacks, the last
// 1,000 per app, newest first here): command, outcome, status, latency, body and answer.
import * as api from "./api.js";
import { h, table, when, badge, pretty, showError } from "./ui.js";

export default function callbacks(root) {
  const list = h("div");
  const filter = h("input", { type: "search", placeholder: "CallbackCommand contains…", "aria-label": "filter callbacks" });
  const count = h("span", { class: "count" });
  let all = [];
  function render() {
    const f = filter.value.trim().toLowerCase();
    const shown = all.filter((a) => !f || a.Command.toLowerCase().includes(f));
    count.textContent = `${shown.length} of ${all.length} attempts`;
    list.replaceChildren(table([
      { title: "Sent", cell: (a) => when(a.Time, true) },
      { title: "Command", cell: (a) => h("code", {}, a.Command) },
      { title: "Outcome", cell: (a) => [badge(a.Outcome), a.Error ? h("div", { class: "hint" }, a.Error) : null] },
      { title: "HTTP", num: true, cell: (a) => a.Status ?? "—" },
      { title: "Latency", num: true, cell: (a) => `${a.LatencyMs.toFixed(1)} ms` },
      { title: "Body and answer", class: "msg", cell: (a) => h("details", { class: "body" },
        h("summary", {}, "show"), h("div", { class: "hint" }, a.Url), h("pre", {}, pretty(a.Body)), h("div", { class: "hint" }, "answer:"), h("pre", {}, a.Answer === null ? "(none)" : pretty(a.Answer))) },
    ], shown, (a) => ({ dataset: { command: a.Command, outcome: a.Outcome } })));
  }
  async function load() {
    try {
      const answer = await api.kit("callbacks");
      all = [...answer.Attempts].reverse();
      render();
    } catch (e) { showError(list, e); }
  }
  filter.addEventListener("input", render);
  root.append(h("h2", {}, "Callbacks sent"),
    h("div", { class: "toolbar" }, filter, h("button", { class: "quiet", onclick: load }, "Refresh"), count), list);
  load();
}
