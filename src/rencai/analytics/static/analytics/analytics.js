/* The analytics charts (ECharts, vendored) from the data a page embeds as JSON (json_script
   "analytics-chart-data"): the six counties on a schematic tile map, the monthly trends, the structure bars,
   an indicator's series and breakdown. Every figure is also in the page's tables; without JavaScript the
   tables are the report. A page with <body data-theme="dark"> (the meeting-room screen) draws dark. */
(function () {
  // (the report's print button, data-print, is handled by rencai/site.js on every page)
  var source = document.getElementById("analytics-chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var dark = document.body.getAttribute("data-theme") === "dark";
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var red = dark ? "#ff6b6b" : "#b71c1c";
  var charts = [];

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    var chart = echarts.init(element, dark ? "dark" : null);
    option.animation = !still;
    if (dark) { option.backgroundColor = "transparent"; }
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }
  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });

  function unitFormatter(unit) {
    return function (value) { return value === null || value === undefined ? "<5" : value + (unit === "%" ? "%" : ""); };
  }

  // A light-to-dark red for the map's tiles: the higher the value, the darker (grey when suppressed)
  function shade(value, low, high) {
    if (value === null || value === undefined) { return dark ? "#555" : "#d0d0d0"; }
    var t = high > low ? (value - low) / (high - low) : 0.5;
    var from = [255, 205, 210], to = [183, 28, 28];
    var mix = from.map(function (c, i) { return Math.round(c + (to[i] - c) * t); });
    return "rgb(" + mix.join(",") + ")";
  }

  function tileMap(id, map) {
    if (!map || !map.tiles.length) { return; }
    var values = map.tiles.map(function (t) { return t.value; }).filter(function (v) { return v !== null; });
    var low = Math.min.apply(null, values.length ? values : [0]);
    var high = Math.max.apply(null, values.length ? values : [0]);
    var element = document.getElementById(id);
    if (!element) { return; }
    var size = function () { return Math.min(element.clientWidth / 4.3, element.clientHeight / 3.2); };
    var chart = draw(id, {
      tooltip: {formatter: function (p) { return p.data.name + "<br>" + map.name + ": " + p.data.text + "<br>#" + p.data.rank; }},
      grid: {left: 0, right: 0, top: 0, bottom: 0},
      xAxis: {type: "value", min: -0.5, max: 3.5, show: false},
      yAxis: {type: "value", min: -0.5, max: 2.5, inverse: true, show: false},
      series: [{
        type: "scatter",
        symbol: "roundRect",
        symbolSize: function () { return [size() * 0.94, size() * 0.94]; },
        data: map.tiles.map(function (t) {
          // dark text on the light tiles, white on the dark ones
          var light = t.value === null || high === low || (t.value - low) / (high - low) < 0.5;
          return {name: t.name, value: [t.x, t.y], text: t.text, rank: t.rank, code: t.code, url: t.url,
            itemStyle: {color: shade(t.value, low, high)},
            label: {color: light && !dark ? "#3b0a0a" : "#fff", textBorderWidth: light && !dark ? 0 : 2}};
        }),
        label: {show: true, formatter: function (p) { return p.data.name + "\n" + p.data.text + "\n#" + p.data.rank; },
          color: "#fff", fontSize: dark ? 20 : 13, fontWeight: "bold", textBorderColor: "rgba(0,0,0,.45)", textBorderWidth: 2}
      }]
    });
    // a tile opens its county's page (not on the meeting-room screen: nobody clicks there)
    if (chart && !dark) {
      chart.on("click", function (p) { if (p.data && p.data.url) { window.location.href = p.data.url; } });
    }
  }

  function line(id, serie) {
    if (!serie || !serie.months.length) { return; }
    draw(id, {
      tooltip: {trigger: "axis", valueFormatter: unitFormatter(serie.unit)},
      grid: {left: 8, right: 16, top: 24, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: serie.months, boundaryGap: false},
      yAxis: {type: "value", scale: true, axisLabel: {formatter: serie.unit === "%" ? "{value}%" : "{value}"}},
      series: [{name: serie.name, type: "line", data: serie.values, showSymbol: false, connectNulls: false,
        itemStyle: {color: red}, areaStyle: {opacity: 0.08}}]
    });
  }

  function bars(id, table) {
    if (!table || !table.labels.length) { return; }
    draw(id, {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, valueFormatter: unitFormatter(table.unit)},
      grid: {left: 8, right: 24, top: 24, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: table.labels, axisLabel: {interval: 0, rotate: table.labels.length > 4 ? 30 : 0}},
      yAxis: {type: "value", axisLabel: {formatter: table.unit === "%" ? "{value}%" : "{value}"}},
      series: [{name: table.name, type: "bar", data: table.values, itemStyle: {color: red},
        label: {show: true, position: "top", formatter: function (p) { return p.value === null || p.value === undefined ? "<5" : p.value; }}}]
    });
  }

  tileMap("chart-map", data.map);
  Object.keys(data.trends || {}).forEach(function (code) { line("trend-" + code, data.trends[code]); });
  Object.keys(data.structure || {}).forEach(function (by) { bars("structure-" + by, data.structure[by]); });
  line("chart-series", data.series);
  bars("chart-cells", data.cells);
  document.body.setAttribute("data-charts", String(charts.length));
})();
