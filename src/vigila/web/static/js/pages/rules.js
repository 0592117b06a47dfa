// Rules: every routing rule and where it comes from; test a pattern against a sample event.

import {get, post} from "../api.js";
import {h, replace, table} from "../dom.js";

const SAMPLE_PATTERN = {source: ["vigila.fabric"], "detail-type": ["Port Metrics"],
                        detail: {utilization: [{numeric: [">", 80]}]}};
const SAMPLE_EVENT = {
  source: "vigila.fabric", "detail-type": "Port Metrics", resources: ["cluster-a/node-17/mlx5_0/1"],
  detail: {stream_id: "cluster-a/node-17/mlx5_0/1", utilization: 93.5, latency_p99: 4.1,
           error_rate: 0.002, bandwidth_gbps: 370.0},
};
const pretty = (value) => JSON.stringify(value, null, 2);

function parse(textarea, what) {
  try {
    return JSON.parse(textarea.value);
  } catch (error) {
    throw new Error(`The ${what} is not JSON: ${error.message}`);
  }
}

export function mount(main) {
  const list = h("div", {}, h("p", {class: "empty", text: "Loading rules…"}));
  const pattern = h("textarea", {id: "rule-pattern", spellcheck: "false", "aria-label": "Pattern (JSON)"});
  const event = h("textarea", {id: "rule-event", spellcheck: "false", "aria-label": "Sample event (JSON)"});
  pattern.value = pretty(SAMPLE_PATTERN);
  event.value = pretty(SAMPLE_EVENT);
  const result = h("p", {class: "result", role: "status", text: "Press Test to match the event against the pattern."});
  const form = h("form", {class: "stack", "aria-label": "Test a pattern"},
    h("div", {class: "split"},
      h("label", {}, "Pattern (EventBridge syntax)", pattern),
      h("label", {}, "Sample event", event)),
    h("button", {type: "submit", class: "primary", text: "Test"}),
    result);
  replace(main, h("h1", {text: "Rules"}),
    h("p", {class: "lead", text: "Rules route events by content to targets. Packs and the "
      + "configuration ship some; others are managed over the API (vigila rules add)."}),
    h("section", {class: "panel stack", "aria-label": "Rules"}, h("h2", {text: "Rules"}), list),
    h("div", {class: "spacer"}),
    h("section", {class: "panel stack", "aria-label": "Pattern tester"}, h("h2", {text: "Test a pattern"}), form));

  form.addEventListener("submit", (submit) => {
    submit.preventDefault();
    let body;
    try {
      body = {pattern: parse(pattern, "pattern"), event: parse(event, "event")};
    } catch (error) {
      result.className = "result nomatch";
      result.textContent = error.message;
      return;
    }
    post("/v1/rules/test", body).then((answer) => {
      result.className = `result ${answer.match ? "match" : "nomatch"}`;
      result.textContent = answer.match ? "Match: the rule would route this event."
        : `No match: ${answer.reason}`;
    }).catch((error) => {
      result.className = "result nomatch";
      result.textContent = error.message;
    });
  });

  get("/v1/rules").then((answer) => {
    if (!answer.items.length) {
      replace(list, h("p", {class: "empty", text: "No rules yet. Test a pattern below, then add it "
        + "with vigila rules add or POST /v1/rules."}));
      return;
    }
    replace(list, table(["name", "origin", "description", "pattern", "targets", ""], answer.items,
      (rule) => [rule.name, rule.origin, rule.description || "",
        h("pre", {class: "cell-pre", text: JSON.stringify(rule.pattern)}),
        String((rule.targets || []).length),
        h("button", {type: "button", text: "Test this", onclick: () => {
          pattern.value = pretty(rule.pattern);
          pattern.focus();
        }})]));
  }).catch((error) => replace(list, h("p", {class: "error", text: error.message})));
  return () => {};
}
