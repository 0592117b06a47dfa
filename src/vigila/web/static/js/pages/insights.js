// Insights: filter by type, entity and minimum risk; newest first, live; a detail panel.

import {get} from "../api.js";
import {h, replace} from "../dom.js";
import {RISK_BANDS} from "../format.js";
import {insightFeed} from "../feed.js";
import {PREDICTION_TYPES, insightDetail, typeName} from "../insightview.js";

const LIMIT = 200;
const filters = {type: "", entity: "", minRisk: 0};

function riskScale() {
  return h("span", {class: "scale", "aria-label": "Risk colour scale"}, "Risk:",
    RISK_BANDS.map((text, band) => h("span", {class: `badge risk risk-${band}`, text})));
}

export function mount(main, {range, params}) {
  const detail = h("div", {class: "panel", id: "insight-detail", tabindex: "-1"},
    h("p", {class: "muted", text: "Select an insight to see its explanation, recommendations "
      + "and evidence."}));
  const listPanel = h("div", {class: "panel"});
  const form = h("form", {class: "toolbar", "aria-label": "Filter insights"},
    h("label", {}, "Type", h("select", {name: "type"},
      h("option", {value: "", text: "All types"}),
      PREDICTION_TYPES.map((t) => h("option", {value: t, text: typeName(t)})))),
    h("label", {}, "Entity", h("input", {name: "entity", type: "search", placeholder: "cluster-a/node-17/mlx5_0/1", size: 28})),
    h("label", {}, "Minimum risk", h("input", {name: "min_risk", type: "number", min: 0, max: 100, step: 1})),
    h("button", {type: "submit", class: "primary", text: "Apply"}),
    riskScale());
  form.elements.type.value = filters.type;
  form.elements.entity.value = filters.entity;
  form.elements.min_risk.value = String(filters.minRisk);
  replace(main, h("h1", {text: "Insights"}),
    h("p", {class: "lead", text: "What the analyst (or an LLM) concluded from triggered intervals, "
      + "newest first. New ones appear as they are stored."}),
    form, h("div", {class: "split"}, listPanel, detail));

  let selected = null;
  const show = (insight, button) => {
    if (selected) selected.setAttribute("aria-pressed", "false");
    selected = button || null;
    if (selected) selected.setAttribute("aria-pressed", "true");
    replace(detail, insightDetail(insight));
    if (matchMedia("(max-width: 900px)").matches) detail.focus();
  };
  let feed = null;
  const load = () => {
    if (feed) feed.close();
    feed = insightFeed({limit: LIMIT, ...filters, since: range.start, live: range.live, onSelect: show});
    replace(listPanel, feed.element);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    filters.type = form.elements.type.value;
    filters.entity = form.elements.entity.value.trim();
    filters.minRisk = Math.max(0, Math.min(100, Number(form.elements.min_risk.value) || 0));
    load();
  });
  form.elements.type.addEventListener("change", () => form.requestSubmit());
  load();
  if (params[0]) {
    get(`/v1/insights/${encodeURIComponent(params[0])}`).then((insight) => show(insight))
      .catch((error) => replace(detail, h("p", {class: "error", text: error.message})));
  }
  return () => feed.close();
}
