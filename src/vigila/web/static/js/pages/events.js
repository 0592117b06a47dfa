// The events explorer: stored events by source, detail-type, resource and time, newest first.

import {get} from "../api.js";
import {h, replace} from "../dom.js";
import {time} from "../format.js";

const filters = {source: "", "detail-type": "", resource: "", limit: "100"};
const SUMMARY_CHARS = 160;

function eventRows(event) {
  const json = h("tr", {class: "event-json", hidden: true},
    h("td", {colspan: 5}, h("pre", {class: "cell-pre", text: JSON.stringify(event, null, 2)})));
  const toggle = h("button", {type: "button", "aria-expanded": "false", title: "Show the whole event",
                              text: time(event.time)});
  toggle.addEventListener("click", () => {
    json.hidden = !json.hidden;
    toggle.setAttribute("aria-expanded", String(!json.hidden));
  });
  const detail = JSON.stringify(event.detail);
  return [
    h("tr", {"data-id": event.id},
      h("td", {}, toggle),
      h("td", {class: "mono", text: event.source}),
      h("td", {text: event["detail-type"]}),
      h("td", {class: "mono wrap", text: (event.resources || []).join(", ")}),
      h("td", {class: "mono wrap detail", text: detail.length > SUMMARY_CHARS
        ? `${detail.slice(0, SUMMARY_CHARS)}…` : detail})),
    json];
}

export function mount(main, {range}) {
  const field = (name, label, placeholder) => h("label", {}, label,
    h("input", {name, type: "search", placeholder, value: filters[name]}));
  const form = h("form", {class: "toolbar", "aria-label": "Filter events"},
    field("source", "Source", "vigila.fabric"),
    field("detail-type", "Detail type", "Port Metrics"),
    field("resource", "Resource", "cluster-a/node-17/mlx5_0/1"),
    h("label", {}, "Limit", h("select", {name: "limit"},
      ["50", "100", "500"].map((n) => h("option", {value: n, text: n})))),
    h("button", {type: "submit", class: "primary", text: "Search"}));
  form.elements.limit.value = filters.limit;
  const body = h("tbody");
  const more = h("button", {type: "button", hidden: true, text: "Older events"});
  const status = h("p", {class: "muted", role: "status"});
  replace(main, h("h1", {text: "Events"}),
    h("p", {class: "lead", text: "Stored events in the time range, newest event time first. "
      + "Select a time to see the whole event."}),
    form, status,
    h("div", {class: "panel table-wrap"}, h("table", {class: "data events"},
      h("thead", {}, h("tr", {}, ["time", "source", "detail-type", "resources", "detail"]
        .map((text) => h("th", {scope: "col", text})))), body)),
    more);

  let cursor = null;
  let count = 0;
  let search = 0;  // the latest search: answers for an older one (pages too) are dropped
  let cursorSearch = 0;  // the search `cursor` continues
  const load = (append) => {
    const params = {...filters, start: range.start.toISOString(),
                    end: range.live ? null : range.end.toISOString(), cursor: append ? cursor : null};
    if (!append) {
      search += 1;
      more.hidden = true;
    }
    const mine = append ? cursorSearch : search;
    status.textContent = "Loading…";
    get("/v1/events", params).then((page) => {
      if (mine !== search) return;
      if (!append) {
        body.replaceChildren();
        count = 0;
      }
      for (const event of page.items) body.append(...eventRows(event));
      count += page.items.length;
      cursor = page.next_cursor;
      cursorSearch = mine;
      more.hidden = !cursor;
      status.textContent = count ? `${count} events` : "No events match in this range";
    }).catch((error) => { if (mine === search) status.textContent = error.message; });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const name of Object.keys(filters)) filters[name] = form.elements[name].value.trim();
    load(false);
  });
  more.addEventListener("click", () => load(true));
  load(false);
  return () => {};
}
