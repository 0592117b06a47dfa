// A dashboard page: the widgets a pack (or the system) declares, live while the range is.

import {get, url} from "../api.js";
import {h, replace} from "../dom.js";
import {subscribe} from "../sse.js";
import {buildDashboard} from "../widgets.js";

/**
 * Draw dashboard `name` into `main`, followed by `extra` nodes; `onFrame(frame)` runs
 * after each data frame. Returns the function that closes it.
 */
export function mountDashboard(main, name, range, {extra = [], onFrame = () => {}} = {}) {
  const title = h("h1", {text: "Dashboard"});
  const lead = h("p", {class: "lead"});
  const grid = h("div", {class: "grid"});
  replace(main, title, lead, grid, extra);
  const path = `/v1/dashboards/${encodeURIComponent(name)}`;
  let board = null;
  let closeStream = () => {};
  let closed = false;
  const apply = (frame) => {
    board.apply(frame);
    onFrame(frame);
  };
  get(path).then((declaration) => {
    if (closed) return;
    title.textContent = declaration.title;
    lead.textContent = declaration.description;
    board = buildDashboard(declaration, grid, {range, onSelectInsight: (insight) => {
      location.hash = `#/insights/${encodeURIComponent(insight.insight_id)}`;
    }});
    if (range.live) {
      closeStream = subscribe(url(`${path}/stream`, {window: range.seconds}),
        (event, frame) => { if (event === "data") apply(frame); });
    } else {
      return get(`${path}/data`, {start: range.start.toISOString(),
                                  end: range.end.toISOString()})
        .then((frame) => { if (!closed) apply(frame); });
    }
    return undefined;
  }).catch((error) => grid.replaceChildren(h("p", {class: "error", text: error.message})));
  return () => {
    closed = true;
    closeStream();
    if (board) board.close();
  };
}

export function mount(main, {range, params}) {
  return mountDashboard(main, params[0], range);
}
