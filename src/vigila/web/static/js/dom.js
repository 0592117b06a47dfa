// DOM building without HTML parsing: text always goes in as text, never as markup.

/**
 * h("button", {class: "x", onclick: fn, "aria-label": "y"}, "text", child, [more])
 * Strings become text nodes; null, undefined and false are skipped; `on*` props
 * are listeners, `text` sets textContent, other props are attributes.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "text") {
      el.textContent = String(value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children (nested arrays, strings as text, nodes as they are). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace all of an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with attributes (no text content; use a <title> child for that). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(child);
  return el;
}

/** A table of rows; `cells` turns a row into cells (strings or nodes). */
export function table(headers, rows, cells, {numeric = []} = {}) {
  const numClass = (i) => (numeric.includes(i) ? "num" : null);
  return h("div", {class: "table-wrap"},
    h("table", {class: "data"},
      h("thead", {}, h("tr", {}, headers.map((text, i) => h("th", {scope: "col", class: numClass(i)}, text)))),
      h("tbody", {}, rows.map((row) => h("tr", {}, cells(row).map((cell, i) => h("td", {class: numClass(i)}, cell)))))));
}
