// Alarms: each with its state, live; the history of the chosen one.

import {get} from "../api.js";
import {h, replace, table} from "../dom.js";
import {time} from "../format.js";
import {subscribe} from "../sse.js";

export function mount(main, {params}) {
  const list = h("div", {}, h("p", {class: "empty", text: "Loading alarms…"}));
  const history = h("section", {class: "panel stack", id: "alarm-history", tabindex: "-1",
                                "aria-label": "Alarm history"},
    h("p", {class: "muted", text: "Select an alarm to see its history."}));
  replace(main, h("h1", {text: "Alarms"}),
    h("p", {class: "lead", text: "CloudWatch-style metric and composite alarms, live. OK, ALARM or "
      + "INSUFFICIENT_DATA, with the reason of the last change."}),
    h("div", {class: "split"}, h("section", {class: "panel", "aria-label": "Alarms"}, list), history));

  let chosen = params[0] || null;
  const showHistory = (name) => {
    chosen = name;
    get(`/v1/alarms/${encodeURIComponent(name)}/history`).then((answer) => replace(history,
      h("h2", {text: name}),
      answer.items.length ? table(["when", "type", "summary"], answer.items,
        (item) => [time(item.timestamp), item.item_type, item.summary])
        : h("p", {class: "empty", text: "No history yet"})))
      .catch((error) => replace(history, h("p", {class: "error", text: error.message})));
  };
  const close = subscribe("/v1/alarms/stream", (event, data) => {
    if (event !== "alarms") return;
    replace(list, table(["alarm", "type", "state", "reason", "since"], data.items, (alarm) => [
      h("button", {type: "button", class: "link", text: alarm.name, onclick: () => showHistory(alarm.name)}),
      alarm.type === "CompositeAlarm" ? "composite" : "metric",
      h("span", {class: `badge state-${alarm.state}`, "data-alarm": alarm.name, text: alarm.state}),
      h("span", {class: "reason", text: alarm.reason || ""}),
      alarm.updated ? time(alarm.updated) : "—"]));
    if (chosen) showHistory(chosen);
  });
  return close;
}
