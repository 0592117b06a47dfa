// A live list of insights: the recent ones from the API, then each new one as it is stored.

import {get} from "./api.js";
import {h, replace} from "./dom.js";
import {insightRow} from "./insightview.js";
import {subscribe} from "./sse.js";

/**
 * Insights newest first into a new <ul>, filtered by `type`, `entity` and `minRisk`,
 * from `since` (a Date) on, at most `limit`. New ones arrive over
 * /v1/insights/stream, resuming from the newest loaded, so none falls in between.
 * Returns `{element, close}`.
 */
export function insightFeed({limit, minRisk = 0, type = "", entity = "", since, live, onSelect}) {
  const list = h("ul", {class: "feed", "aria-live": "polite", "aria-label": "Insights"});
  const items = [];
  const seen = new Set();
  let closeStream = () => {};
  let closed = false;

  const matches = (insight) => insight.risk_score >= minRisk
    && (!type || insight.prediction_type === type) && (!entity || insight.entity === entity);

  const rows = new Map();  // insight_id -> its <li>, so a new insight moves no other row

  function row(insight, fresh) {
    const element = insightRow(insight, onSelect, {fresh});
    rows.set(insight.insight_id, element);
    return element;
  }

  function render() {
    if (!items.length) {
      replace(list, h("li", {class: "empty", text: "No insights match in this range"}));
      return;
    }
    replace(list, items.map((insight) => row(insight, false)));
  }

  function add(insight) {
    if (seen.has(insight.insight_id) || !matches(insight)) return;
    seen.add(insight.insight_id);
    items.push(insight);
    items.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    for (const dropped of items.splice(limit)) {
      rows.get(dropped.insight_id)?.remove();
      rows.delete(dropped.insight_id);
    }
    const at = items.indexOf(insight);
    if (at < 0) return;
    if (items.length === 1) {
      replace(list, row(insight, true));  // in place of "No insights match"
      return;
    }
    const next = items[at + 1];
    list.insertBefore(row(insight, true), next ? rows.get(next.insight_id) : null);
  }

  list.append(h("li", {class: "empty", text: "Loading insights…"}));
  get("/v1/insights/recent", {limit, min_risk: minRisk || null, type, entity,
                              since: since.toISOString()})
    .then((page) => {
      if (closed) return;
      for (const insight of page.items) {
        seen.add(insight.insight_id);
        items.push(insight);
      }
      render();
      if (!live) return;
      const newest = items.length ? Date.parse(items[0].created_at) - 1 : since.getTime();
      closeStream = subscribe(`/v1/insights/stream${minRisk ? `?min_risk=${minRisk}` : ""}`,
        (name, insight) => { if (name === "insight") add(insight); },
        {lastEventId: newest});
    })
    .catch((error) => replace(list, h("li", {class: "error", text: error.message})));

  return {element: list, close: () => { closed = true; closeStream(); }};
}
