// How numbers, times and risks look.

const compact = new Intl.NumberFormat(undefined, {notation: "compact", maximumFractionDigits: 1});

/** A number for people: 3 significant digits for small ones, compact for large ones. */
export function number(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const size = Math.abs(value);
  if (size >= 10000) return compact.format(value);
  if (size === 0 || size >= 100) return Math.round(value).toLocaleString();
  if (size >= 0.01) return Number(value.toPrecision(3)).toLocaleString();
  return value.toExponential(1);
}

/** A value with its unit; USD as money. */
export function withUnit(value, unit) {
  if (unit === "USD") return value === null ? "—" : `$${value.toFixed(value < 1 ? 4 : 2)}`;
  if (unit === "%") return `${number(value)}%`;
  return unit ? `${number(value)} ${unit}` : number(value);
}

/** Local time of seconds or an ISO string, to the second; with the date unless today. */
export function time(value) {
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const today = date.toDateString() === new Date().toDateString();
  return date.toLocaleString(undefined, {hour: "2-digit", minute: "2-digit", second: "2-digit",
                                         ...(today ? {} : {month: "short", day: "numeric"})});
}

/** "12 s ago", "5 min ago" for recent times; the time for older ones. */
export function ago(iso) {
  const seconds = (Date.now() - new Date(iso).getTime()) / 1000;
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return time(iso);
}

/** Risk bands 0–19, 20–39, 40–59, 60–79, 80–100, as CSS classes risk-0 … risk-4. */
export function riskBand(risk) {
  return Math.min(4, Math.floor(Math.max(0, risk) / 20));
}

export const RISK_BANDS = ["0–19", "20–39", "40–59", "60–79", "80–100"];
