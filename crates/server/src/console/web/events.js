// The live feed: every change of the app as it commits (GET /_timber/events, server-sent
// events), newest on top, as the member frame it becomes.
import * as api from "./api.js";
import { h, pretty } from "./ui.js";

const KEEP = 500;

function summary(frame) {
  const p = frame?.params ?? {};
  const where = p.groupID ? `group ${p.groupID}` : p.userID ? `with ${p.userID}` : "";
  const m = p.message;
  const text = m?.MsgBody?.map((e) => e.MsgContent?.Text ?? e.MsgType).join(" ");
  return [where, m?.From_Account ? `from ${m.From_Account}` : "", text ? `“${text}”` : "", p.msgSeq ? `seq ${p.msgSeq}` : ""]
    .filter(Boolean).join(" · ");
}

export default function events(root) {
  const status = h("span", { class: "status" }, "connecting…");
  const feed = h("ul", { class: "feed", id: "feed" });
  const source = new EventSource(api.eventsUrl());
  source.onopen = () => { status.textContent = "live"; status.classList.add("live"); };
  source.onerror = () => { status.textContent = "disconnected, retrying…"; status.classList.remove("live"); };
  source.addEventListener("lagged", (e) => feed.prepend(h("li", {}, h("span", { class: "t" }, ""), h("span", { class: "error" }, `${e.data} events skipped`), "")));
  source.onmessage = (e) => {
    let ev;
    try { ev = JSON.parse(e.data); } catch { return; }
    const method = ev.frame?.method ?? "?";
    feed.prepend(h("li", { dataset: { method } },
      h("span", { class: "t" }, new Date().toLocaleTimeString()),
      h("span", { class: "method" }, method, ev.member ? h("span", { class: "hint" }, ` (${ev.member})`) : null),
      h("details", { class: "body" }, h("summary", {}, summary(ev.frame) || "details"), h("pre", {}, pretty(ev.frame)))));
    while (feed.children.length > KEEP) feed.lastChild.remove();
  };
  root.append(h("h2", {}, "Live events"),
    h("div", { class: "toolbar" }, status, h("button", { class: "quiet", onclick: () => feed.replaceChildren() }, "Clear")),
    h("p", { class: "hint" }, "Every change of the app as it commits: messages, recalls, clears, joins, leaves, profile changes."),
    feed);
  return () => source.close();
}
