// Charts: uPlot for lines over time; bars and pies built as DOM and SVG.

import {h, replace, svg} from "./dom.js";
import {time, withUnit} from "./format.js";

const PALETTE = 10;
const compact = new Intl.NumberFormat(undefined, {notation: "compact", maximumFractionDigits: 1});

/** An axis label: uPlot's splits are already round, so only large ones are shortened. */
const tick = (v) => (Math.abs(v) >= 10000 ? compact.format(v)
  : v.toLocaleString(undefined, {maximumFractionDigits: 6}));

/** The theme's series colours (CSS --c1 … --c10), and the muted and grid colours. */
function colors() {
  const style = getComputedStyle(document.documentElement);
  const get = (name) => style.getPropertyValue(name).trim();
  return {series: Array.from({length: PALETTE}, (_, i) => get(`--c${i + 1}`)),
          muted: get("--muted"), grid: get("--grid")};
}

/**
 * Lines over time in `container`. `update(lines)` takes `[{label, points: Map(t -> v)}]`
 * and redraws; with `stacked` each line sits on the ones before it (the legend still
 * shows each line's own value).
 */
export class LineChart {
  constructor(container, {unit = "", stacked = false} = {}) {
    this.container = container;
    this.unit = unit;
    this.stacked = stacked;
    this.plot = null;
    this.labels = "";
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(container);
  }

  height() {
    return this.container.clientWidth < 500 ? 150 : 190;
  }

  fit() {
    const width = this.container.clientWidth;
    if (this.plot && width > 0 && width !== this.plot.width) {
      this.plot.setSize({width, height: this.height()});
    }
  }

  update(lines) {
    const xs = [...new Set(lines.flatMap((line) => [...line.points.keys()]))].sort((a, b) => a - b);
    if (!xs.length) {
      this.destroyPlot();
      replace(this.container, h("p", {class: "empty", text: "No data in this range yet"}));
      return;
    }
    const raw = lines.map((line) => xs.map((x) => (line.points.has(x) ? line.points.get(x) : null)));
    let shown = raw;
    let order = lines.map((_, i) => i);
    if (this.stacked) {
      const sums = xs.map(() => 0);
      shown = raw.map((values) => values.map((v, j) => (sums[j] += v ?? 0)));
      order = order.reverse(); // the tallest first, so each smaller one is drawn over it
    }
    const key = lines.map((line) => line.label).join("\u0000");
    if (!this.plot || key !== this.labels) this.build(lines.map((l) => l.label), order, raw);
    this.raw = raw;
    this.plot.setData([xs, ...order.map((i) => shown[i])]);
  }

  build(labels, order, raw) {
    this.destroyPlot();
    this.container.replaceChildren();
    this.labels = labels.join("\u0000");
    this.raw = raw;
    const theme = colors();
    const axis = {stroke: theme.muted, grid: {stroke: theme.grid, width: 1},
                  ticks: {stroke: theme.grid, width: 1}};
    const series = order.map((index) => {
      const color = theme.series[index % PALETTE];
      return {
        label: labels[index], stroke: color, width: 1.6,
        fill: this.stacked ? `${color}55` : undefined,
        value: (u, v, si, i) => {
          const values = this.raw[index];
          const own = values[i ?? values.length - 1] ?? null;
          return own === null ? "—" : withUnit(own, this.unit);
        },
      };
    });
    this.plot = new window.uPlot({
      width: Math.max(200, this.container.clientWidth), height: this.height(),
      scales: {x: {time: true}, y: this.stacked ? {range: (u, min, max) => [0, max || 1]} : {}},
      axes: [axis, {...axis, size: 56, values: (u, splits) => splits.map(tick)}],
      series: [{value: (u, v) => (v === null ? "—" : time(v))}, ...series],
      legend: {live: true},
    }, [[], ...series.map(() => [])], this.container);
  }

  destroyPlot() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
    this.labels = "";
  }

  destroy() {
    this.resize.disconnect();
    this.destroyPlot();
  }
}

/** Horizontal bars, largest first: `[{label, value}]`. */
export function bars(items, unit) {
  const top = Math.max(...items.map((item) => item.value), 0) || 1;
  return h("div", {class: "bars"}, items.map((item) => {
    const fill = h("div", {class: "bar-fill"});
    fill.style.width = `${(100 * Math.max(0, item.value)) / top}%`;
    return h("div", {class: "bar-row"},
      h("span", {class: "label", title: item.label, text: item.label}),
      h("div", {class: "bar-track"}, fill),
      h("span", {class: "num", text: withUnit(item.value, unit)}));
  }));
}

/** A pie with a legend: `[{label, value}]`. */
export function pie(items, unit) {
  const theme = colors();
  const total = items.reduce((sum, item) => sum + Math.max(0, item.value), 0) || 1;
  const chart = svg("svg", {viewBox: "-1 -1 2 2", role: "img", "aria-label": "pie chart"});
  let angle = -Math.PI / 2;
  items.forEach((item, i) => {
    const share = Math.max(0, item.value) / total;
    const color = theme.series[i % PALETTE];
    const title = svg("title");
    title.textContent = `${item.label}: ${withUnit(item.value, unit)}`;
    if (share >= 0.9999) {
      chart.append(svg("circle", {r: 1, fill: color}, title));
      return;
    }
    const next = angle + share * 2 * Math.PI;
    const [x0, y0, x1, y1] = [Math.cos(angle), Math.sin(angle), Math.cos(next), Math.sin(next)];
    const large = share > 0.5 ? 1 : 0;
    chart.append(svg("path", {d: `M0 0L${x0} ${y0}A1 1 0 ${large} 1 ${x1} ${y1}Z`, fill: color}, title));
    angle = next;
  });
  const legend = h("ul", {class: "legend"}, items.map((item, i) => {
    const swatch = h("span", {class: "swatch"});
    swatch.style.background = theme.series[i % PALETTE];
    const percent = Math.round((100 * Math.max(0, item.value)) / total);
    return h("li", {}, swatch, `${item.label} — ${withUnit(item.value, unit)} (${percent}%)`);
  }));
  return h("div", {class: "pie"}, chart, legend);
}
