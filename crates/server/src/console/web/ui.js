// Small DOM helpers: elements, tables, pagers, times, message bodies. No framework.

/** h("td", {class: "num"}, "12", child…): an element; strings become text, never HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A table of `rows` with `columns`: [{title, cell(row) → node or text, num?}]. */
export function table(columns, rows, rowAttrs = () => ({})) {
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null }, c.title)))),
    h("tbody", {}, rows.length === 0
      ? h("tr", {}, h("td", { colspan: columns.length, class: "hint" }, "Nothing here."))
      : rows.map((r) => h("tr", rowAttrs(r), columns.map((c) => h("td", { class: c.num ? "num" : c.class }, c.cell(r)))))));
}

/** Unix seconds (or milliseconds with `ms`) as a local date and time. */
export function when(t, ms = false) {
  if (!t) return "—";
  return new Date(ms ? t : t * 1000).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** A message body as a short text: text elements as they are, others by type. */
export function bodyText(body) {
  if (!Array.isArray(body) || body.length === 0) return "";
  return body.map((e) => {
    const c = e.MsgContent || {};
    if (e.MsgType === "TIMTextElem") return c.Text ?? "";
    if (e.MsgType === "TIMCustomElem") return `[custom] ${c.Data ?? ""}`;
    return `[${(e.MsgType || "?").replace(/^TIM|Elem$/g, "")}]`;
  }).join(" ");
}

export function badge(kind, text = kind) { return h("span", { class: `badge ${kind}` }, text); }

/** Pretty JSON when `s` parses, else `s` itself. */
export function pretty(s) {
  try { return JSON.stringify(typeof s === "string" ? JSON.parse(s) : s, null, 2); } catch { return String(s); }
}

/** A pager over cursors: `load(cursor)` shows one page and returns the next cursor (or null). */
export function pager(load) {
  const stack = [];
  let current = "";
  const prev = h("button", { class: "quiet", disabled: true, onclick: () => go(stack.pop(), true) }, "← Previous");
  const next = h("button", { class: "quiet", disabled: true, onclick: () => go(nextCursor) }, "Next →");
  const where = h("span", {}, "");
  let nextCursor = null;
  async function go(cursor, back = false) {
    if (!back && cursor !== current) stack.push(current);
    current = cursor ?? "";
    nextCursor = await load(current);
    prev.disabled = stack.length === 0;
    next.disabled = nextCursor === null || nextCursor === undefined;
    where.textContent = `page ${stack.length + 1}`;
  }
  function restart() { stack.length = 0; current = ""; return go("", true); }
  return { el: h("div", { class: "pager" }, prev, where, next), restart };
}

/** Shows a failure in `where`. */
export function showError(where, e) {
  where.replaceChildren(h("p", { class: "error", role: "alert" }, e.message || String(e)));
}
