// System health: the built-in `system` dashboard and the lag of each log partition.

import {get} from "../api.js";
import {h, replace, table} from "../dom.js";
import {number} from "../format.js";
import {mountDashboard} from "./dashboard.js";

export function mount(main, {range}) {
  const partitions = h("div", {class: "body"}, h("p", {class: "empty", text: "Loading…"}));
  const panel = h("section", {class: "panel partitions", "aria-label": "Log partitions"},
    h("h2", {text: "Log partitions"}),
    h("p", {class: "help muted", text: "Records appended (next), processed (position), how many "
      + "wait (lag) and how long the oldest has waited (iterator age)."}),
    partitions);
  panel.classList.add("stack");
  let busy = false;
  const refresh = () => {
    if (busy) return;
    busy = true;
    get("/v1/log/partitions").then((answer) => replace(partitions,
      table(["partition", "first", "next", "position", "lag", "iterator age (s)"], answer.partitions,
        (p) => [p.partition, p.first, p.next, p.position, p.lag].map((n) => n.toLocaleString())
          .concat(number(p.iterator_age_seconds)), {numeric: [1, 2, 3, 4, 5]})))
      .catch((error) => replace(partitions, h("p", {class: "error", text: error.message})))
      .finally(() => { busy = false; });
  };
  refresh();
  const spacer = h("div", {class: "spacer"});
  return mountDashboard(main, "system", range, {extra: [spacer, panel], onFrame: refresh});
}
