// Small SVG charts for the console: a bar chart and a line chart, drawn from plain numbers.
// No library: each chart is a few rectangles or a polyline, with a title per point.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 560;
const HEIGHT = 180;
const PAD = { left: 40, right: 10, top: 12, bottom: 24 };

function el(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function frame(label, points) {
  const svg = el("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img", "aria-label": label,
    "data-points": points,
  });
  svg.append(el("title", {}, label));
  return svg;
}

function scale(values) {
  const top = Math.max(1, ...values);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  return {
    top, plotW, plotH,
    y: (v) => PAD.top + plotH - (v / top) * plotH,
  };
}

function axes(svg, s, first, last, unit) {
  const baseY = PAD.top + s.plotH;
  svg.append(el("line", { x1: PAD.left, y1: baseY, x2: WIDTH - PAD.right, y2: baseY, class: "axis" }));
  svg.append(el("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: baseY, class: "axis" }));
  const topLabel = Number.isInteger(s.top) ? String(s.top) : s.top.toFixed(1);
  svg.append(el("text", { x: PAD.left - 4, y: PAD.top + 4, "text-anchor": "end" }, topLabel + unit));
  svg.append(el("text", { x: PAD.left - 4, y: baseY, "text-anchor": "end" }, "0"));
  svg.append(el("text", { x: PAD.left, y: HEIGHT - 6 }, first));
  svg.append(el("text", { x: WIDTH - PAD.right, y: HEIGHT - 6, "text-anchor": "end" }, last));
}

/** Bars for `values` (numbers), labelled by `labels` (same length), oldest first. */
export function barChart({ label, values, labels, unit = "" }) {
  const svg = frame(label, values.length);
  const s = scale(values);
  axes(svg, s, labels[0] ?? "", labels[labels.length - 1] ?? "", unit);
  const step = values.length ? s.plotW / values.length : 0;
  values.forEach((value, i) => {
    const y = s.y(value);
    const bar = el("rect", {
      x: PAD.left + i * step + step * 0.1, y, width: Math.max(1, step * 0.8),
      height: PAD.top + s.plotH - y, class: "bar",
    });
    bar.append(el("title", {}, `${labels[i]}: ${value}${unit}`));
    svg.append(bar);
  });
  return svg;
}

/** A line through `values`, labelled by `labels`, oldest first. */
export function lineChart({ label, values, labels, unit = "" }) {
  const svg = frame(label, values.length);
  const s = scale(values);
  axes(svg, s, labels[0] ?? "", labels[labels.length - 1] ?? "", unit);
  const step = values.length > 1 ? s.plotW / (values.length - 1) : 0;
  const xy = values.map((value, i) => [PAD.left + i * step, s.y(value)]);
  svg.append(el("polyline", { points: xy.map(([x, y]) => `${x},${y}`).join(" "), class: "line" }));
  xy.forEach(([x, y], i) => {
    const dot = el("circle", { cx: x, cy: y, r: 2.5, class: "dot" });
    dot.append(el("title", {}, `${labels[i]}: ${values[i]}${unit}`));
    svg.append(dot);
  });
  return svg;
}
