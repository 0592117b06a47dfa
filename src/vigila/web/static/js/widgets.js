// A dashboard's widgets, drawn from its declaration (GET /v1/dashboards/{name}).

import {h, replace, table} from "./dom.js";
import {LineChart, bars, pie} from "./charts.js";
import {time, withUnit} from "./format.js";
import {insightFeed} from "./feed.js";
import {subscribe} from "./sse.js";

const empty = () => h("p", {class: "empty", text: "No data in this range yet"});

/** Lines kept per label as Map(timestamp -> value), merged from full and tail updates. */
function lineWidget(body, widget) {
  const chart = new LineChart(body, {unit: widget.unit, stacked: widget.stacked});
  let lines = new Map();
  return {
    apply(data, frame) {
      const next = new Map();
      for (const series of data.series) {
        const points = frame.since > frame.start && lines.has(series.label)
          ? lines.get(series.label) : new Map();
        for (const t of points.keys()) if (t >= frame.since || t < frame.start) points.delete(t);
        for (const [t, v] of series.points) points.set(t, v);
        next.set(series.label, points);
      }
      lines = next;
      chart.update([...lines].map(([label, points]) => ({label, points})));
    },
    close: () => chart.destroy(),
  };
}

function singleWidget(body, widget, element) {
  const inline = widget.unit === "USD" || widget.unit === "%";
  return {
    apply(data) {
      element.classList.remove("level-warn", "level-critical");
      if (data.level) element.classList.add(`level-${data.level}`);
      replace(body, h("span", {class: "value", text: withUnit(data.value, inline ? widget.unit : "")}),
        inline || !widget.unit ? null : h("span", {class: "unit", text: widget.unit}));
    },
  };
}

function distributionWidget(body, widget) {
  return {
    apply(data) {
      if (!data.items.length) replace(body, empty());
      else replace(body, widget.style === "pie" ? pie(data.items, widget.unit) : bars(data.items, widget.unit));
    },
  };
}

function tableWidget(body, widget) {
  const units = ["", ...widget.columns.map((c) => c.unit)];
  return {
    apply(data) {
      if (!data.rows.length) {
        replace(body, empty());
        return;
      }
      const numeric = data.columns.map((_, i) => i).slice(1);
      replace(body, table(data.columns, data.rows, (row) => row.map((cell, i) =>
        (i === 0 ? h("span", {class: "mono", text: cell}) : withUnit(cell, units[i]))), {numeric}));
    },
  };
}

function alarmList(alarms) {
  if (!alarms.length) return empty();
  return table(["alarm", "state", "since"], alarms, (alarm) => [
    h("a", {href: `#/alarms/${encodeURIComponent(alarm.name)}`, text: alarm.name}),
    h("span", {class: `badge state-${alarm.state}`, text: alarm.state}),
    alarm.updated ? time(alarm.updated) : "—"]);
}

/**
 * Draw `board` into `grid`; returns `{apply(data), close()}` where `apply` takes a data
 * frame of /v1/dashboards/{name}/data or /stream. Alarm and insight widgets follow
 * their own streams while `live`.
 */
export function buildDashboard(board, grid, {range, onSelectInsight}) {
  const parts = new Map();
  const closers = [];
  const alarmBodies = [];
  for (const widget of board.widgets) {
    const body = h("div", {class: "body"}, h("p", {class: "empty", text: "Loading…"}));
    const element = h("section", {class: `widget w${widget.width} ${widget.kind}`,
                                  "data-widget": widget.id, "aria-label": widget.title},
      h("header", {}, h("h2", {text: widget.title})),
      widget.help ? h("p", {class: "help", text: widget.help}) : null,
      body);
    grid.append(element);
    if (widget.kind === "timeseries" || widget.kind === "percentiles") {
      parts.set(widget.id, lineWidget(body, widget));
    } else if (widget.kind === "single") {
      parts.set(widget.id, singleWidget(body, widget, element));
    } else if (widget.kind === "distribution") {
      parts.set(widget.id, distributionWidget(body, widget));
    } else if (widget.kind === "table") {
      parts.set(widget.id, tableWidget(body, widget));
    } else if (widget.kind === "alarms") {
      alarmBodies.push([body, widget.prefix]);
    } else if (widget.kind === "insights") {
      const feed = insightFeed({limit: widget.limit, minRisk: widget.min_risk, since: range.start,
                                live: range.live, onSelect: onSelectInsight});
      replace(body, feed.element);
      closers.push(feed.close);
    }
  }
  if (alarmBodies.length) {
    closers.push(subscribe("/v1/alarms/stream", (name, data) => {
      for (const [body, prefix] of alarmBodies) {
        replace(body, alarmList(data.items.filter((a) => a.name.startsWith(prefix))));
      }
    }));
  }
  for (const part of parts.values()) if (part.close) closers.push(part.close);
  return {
    apply(frame) {
      for (const [id, data] of Object.entries(frame.widgets)) {
        const part = parts.get(id);
        if (part) part.apply(data, frame);
      }
    },
    close() {
      for (const close of closers) close();
    },
  };
}
