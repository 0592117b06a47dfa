// An insight as a feed row and as a detail panel.

import {h, table} from "./dom.js";
import {ago, number, riskBand, time} from "./format.js";

export const PREDICTION_TYPES = [
  "performance_degradation", "anomaly_detected", "resource_saturation", "connection_instability",
  "packet_loss_detected", "latency_spike", "bandwidth_throttling", "qp_error_rate_high",
  "memory_registration_failure", "rdma_timeout",
];

export const typeName = (type) => type.replaceAll("_", " ");

export function riskBadge(risk) {
  return h("span", {class: `badge risk risk-${riskBand(risk)}`, title: `risk ${risk} of 100`,
                    text: String(risk)});
}

/** Who wrote it: the deterministic analyst, or an LLM (provider/model). */
export function sourceName(insight) {
  if (insight.source === "analyst") return "Deterministic analyst";
  if (insight.source.startsWith("llm:")) return `LLM ${insight.source.slice(4)}`;
  return insight.source;
}

/** A feed row: a button that selects the insight. */
export function insightRow(insight, onSelect, {fresh = false} = {}) {
  const button = h("button", {class: "item", type: "button", "aria-pressed": "false",
                              onclick: () => onSelect(insight, button)},
    riskBadge(insight.risk_score),
    h("span", {class: "type", text: typeName(insight.prediction_type)}),
    h("span", {class: "when", title: time(insight.created_at), text: ago(insight.created_at)}),
    h("span", {class: "entity", title: insight.entity, text: insight.entity}));
  return h("li", {class: fresh ? "fresh" : null, "data-id": insight.insight_id,
                  "data-type": insight.prediction_type, "data-risk": insight.risk_score}, button);
}

function cost(insight) {
  const usd = `$${(insight.cost_usd || 0).toFixed(4)}`;
  const tokens = insight.tokens_in || insight.tokens_out
    ? `, ${insight.tokens_in} tokens in, ${insight.tokens_out} out` : "";
  const latency = insight.latency_ms ? `, ${number(insight.latency_ms)} ms` : "";
  return usd + tokens + latency;
}

function evidenceTable(evidence) {
  const metrics = Object.entries(evidence.metrics || {});
  if (!metrics.length) return null;
  const baselines = evidence.baselines || {};
  const deltas = evidence.deltas_pct || {};
  return table(["metric", "value", "baseline mean", "delta"], metrics, ([name, value]) => [
    name, number(value), number(baselines[name] ? baselines[name].mean : null),
    deltas[name] === undefined ? "—" : `${number(deltas[name])}%`], {numeric: [1, 2, 3]});
}

/** The detail panel: explanation, recommendations, evidence, source and cost. */
export function insightDetail(insight) {
  const evidence = insight.evidence || {};
  const counters = Object.entries(evidence.counters || {});
  return h("article", {class: "detail", "aria-label": "Insight detail"},
    h("h2", {}, riskBadge(insight.risk_score), " ", typeName(insight.prediction_type)),
    h("dl", {},
      h("dt", {text: "Entity"}), h("dd", {class: "mono", text: insight.entity}),
      h("dt", {text: "Created"}), h("dd", {text: time(insight.created_at)}),
      h("dt", {text: "Source"}), h("dd", {class: "source", text: sourceName(insight)}),
      insight.fallback_reason ? [h("dt", {text: "Fallback"}), h("dd", {text: insight.fallback_reason})] : null,
      h("dt", {text: "Confidence"}), h("dd", {text: `${Math.round(insight.confidence * 100)}%`}),
      h("dt", {text: "Cost"}), h("dd", {class: "cost", text: cost(insight)})),
    h("h3", {text: "Explanation"}),
    h("p", {class: "explanation", text: insight.explanation}),
    h("h3", {text: "Recommendations"}),
    h("ol", {class: "recommendations"}, (insight.recommendations || []).map((r) => h("li", {text: r}))),
    h("h3", {text: "Evidence"}),
    evidence.triggers ? h("p", {}, "Triggers: ", h("span", {class: "mono", text: evidence.triggers.join(", ")})) : null,
    evidenceTable(evidence),
    counters.length ? h("p", {}, "Counters: ",
      h("span", {class: "mono", text: counters.map(([k, v]) => `${k}=${v}`).join(", ")})) : null,
    h("details", {}, h("summary", {text: "All evidence (JSON)"}),
      h("pre", {text: JSON.stringify(evidence, null, 2)})));
}
