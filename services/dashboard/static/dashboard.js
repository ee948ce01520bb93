// closedloop dashboard: draws the charts from each section's embedded JSON and refreshes the panels.
(function () {
  "use strict";
  const COLORS = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2"];
  let charts = [];

  function size(el) {
    return { width: Math.max(el.clientWidth, 240), height: 170 };
  }

  function line(label, i, extra) {
    return Object.assign({ label: label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false }, extra || {});
  }

  function points(label, i, extra) {
    return line(label, i, Object.assign({ paths: function () { return null; }, points: { show: true, size: 7 } }, extra));
  }

  // Champion moves as dashed vertical lines labelled with the version ("v3"): elements in the plot's overlay,
  // placed on every redraw, so a test (or a person with devtools) can find them as `.champion-marker`.
  function championMarkers(moves) {
    let marks = null;

    function create(u) {
      return moves.map(function (move, i) {
        const mark = document.createElement("div");
        mark.className = "champion-marker" + (i % 2 ? " lower" : "");
        mark.dataset.version = move.version || "";
        mark.dataset.t = String(move.t);
        const label = document.createElement("span");
        label.textContent = move.label;
        label.title = "champion → " + move.label + " at " + move.at + (move.reason ? ": " + move.reason : "");
        mark.appendChild(label);
        u.over.appendChild(mark);
        return mark;
      });
    }

    function place(u) {
      marks = marks || create(u);
      const width = u.over.clientWidth;
      marks.forEach(function (mark, i) {
        const t = moves[i].t;
        const x = u.valToPos(t, "x");
        mark.hidden = !(t >= u.scales.x.min && t <= u.scales.x.max);
        mark.style.left = x + "px";
        mark.classList.toggle("flip", x > width - 48);  // keep the label inside the plot
      });
    }

    return { hooks: { ready: [place], draw: [place] } };
  }

  // Each drawn scale's range as data-{x,y}-{min,max} on the chart element: what the axes show, readable by a
  // test (or a person with devtools), since uPlot draws its ticks on a canvas.
  function scaleAttributes(el) {
    function record(u, key) {
      if (key !== "x" && key !== "y") return;
      el.dataset[key + "Min"] = String(u.scales[key].min);
      el.dataset[key + "Max"] = String(u.scales[key].max);
    }
    return { hooks: { setScale: [record] } };
  }

  // A single bucket (the first minute of traffic) gives the x scale no width, and uPlot then widens it by
  // 86,400 units of its time base, which for timestamps in seconds is a thousand days (2026 ran to 2029).
  // Pad it by an hour on each side instead.
  const SINGLE_POINT_PAD_S = 3600;

  // The x axis reaches the newest move even when it falls after the last bucket's start.
  function withMoves(el, live, opts) {
    const moves = live.champion_moves || [];
    const last = moves.reduce(function (m, move) { return Math.max(m, move.t); }, -Infinity);
    opts.plugins = [championMarkers(moves), scaleAttributes(el)];
    opts.scales = Object.assign({}, opts.scales, {
      x: {
        time: true,
        range: function (u, min, max) {
          if (u.data[0].length === 1) {
            const t = u.data[0][0];
            return [t - SINGLE_POINT_PAD_S, Math.max(t, last) + SINGLE_POINT_PAD_S];
          }
          return [min, Math.max(max, last)];
        },
      },
    });
    return opts;
  }

  // Counts start at zero (a bar's height is its count); the top is rounded up to a tidy value.
  function fromZero(u, min, max) {
    return [0, uPlot.rangeNum(0, Math.max(max || 0, 1), 0.1, true)[1]];
  }

  // Which figures to draw, in which order and under which caption, comes with the data: each kind names its
  // own (live.family.figures).
  function qualityChart(el, live) {
    const figures = ((live.family && live.family.figures) || []).filter(function (f) { return f.key in live.quality; });
    const captions = {};
    figures.forEach(function (f) { captions[f.key] = f.caption; });
    const names = figures.length ? figures.map(function (f) { return f.key; }) : Object.keys(live.quality);
    const series = [{}].concat(names.map(function (n, i) { return line(captions[n] || n, i); }));
    const data = [live.t].concat(names.map(function (n) { return live.quality[n]; }));
    const opts = withMoves(el, live, Object.assign(size(el), { series: series, scales: { y: { range: [0, 1] } } }));
    return new uPlot(opts, data, el);
  }

  function trafficChart(el, live) {
    const bars = uPlot.paths.bars({ size: [0.8, 40] });
    const series = [{}, line("predictions per " + el.dataset.unit, 0, { paths: bars, fill: "#93c5fd" })];
    const opts = withMoves(el, live, Object.assign(size(el), { series: series, scales: { y: { range: fromZero } } }));
    return new uPlot(opts, [live.t, live.traffic], el);
  }

  function curveChart(el, curve) {
    const metric = el.dataset.metric || "score";
    const series = [
      { label: "training-set size" },
      points(metric + " (mean over seeds)", 0),
      points("mean − std", 0, { points: { show: true, size: 4 }, dash: [4, 4] }),
      points("mean + std", 0, { points: { show: true, size: 4 } }),
      line("power fit", 1, { spanGaps: true }),
      line("log fit", 2, { spanGaps: true, dash: [6, 4] }),
      points("predicted (2×, 10×)", 4, { points: { show: true, size: 9 } }),
      points("predicted from the smaller half", 1, { points: { show: true, size: 9 } }),
      points("measured there", 3, { points: { show: true, size: 9 } }),
    ];
    const data = [
      curve.x, curve.mean, curve.low, curve.high, curve.power, curve.log, curve.predicted, curve.extrapolated, curve.actual,
    ];
    const opts = Object.assign(size(el), { height: 240, series: series, scales: { x: { time: false, distr: 3 } } });
    return new uPlot(opts, data, el);
  }

  function draw(root) {
    root.querySelectorAll("section.model").forEach(function (section) {
      const script = section.querySelector("script.chart-data");
      if (!script) return;
      const data = JSON.parse(script.textContent);
      section.querySelectorAll("[data-chart]").forEach(function (el) {
        const kind = el.dataset.chart;
        if (kind === "quality" && data.live && data.live.quality) charts.push(qualityChart(el, data.live));
        if (kind === "traffic" && data.live) charts.push(trafficChart(el, data.live));
        if (kind === "curve" && data.curve) charts.push(curveChart(el, data.curve));
      });
    });
  }

  function refresh(main, status) {
    fetch(main.dataset.refreshUrl, { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        charts.forEach(function (chart) { chart.destroy(); });
        charts = [];
        main.innerHTML = html;
        draw(main);
        const generated = main.querySelector("[data-generated-at]");
        status.textContent = "updated " + (generated ? generated.dataset.generatedAt : new Date().toISOString());
      })
      .catch(function (error) {
        status.textContent = "refresh failed (" + error.message + "); retrying";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const main = document.getElementById("panels");
    const status = document.getElementById("refresh-status");
    draw(main);
    const seconds = Number(main.dataset.refreshSeconds) || 10;
    setInterval(function () { refresh(main, status); }, seconds * 1000);
  });
})();
