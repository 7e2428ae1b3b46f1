/* Charts (ECharts) drawn from the data a page embeds as JSON (json_script); a page without the data is left
   alone. The service dashboard's on-time rates; the home page's talents by county or by tier. */
(function () {
  function embedded(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // No growing bars for those who asked their system for less motion
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) { return null; }
    var chart = echarts.init(element);
    option.animation = !still;
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  var ontime = embedded("ontime-data");
  if (ontime) {
    var bar = function (id, names, rates) {
      draw(id, {
        tooltip: {trigger: "axis"},
        grid: {left: 40, right: 16, bottom: 60, top: 24},
        xAxis: {type: "category", data: names, axisLabel: {interval: 0, rotate: names.length > 4 ? 30 : 0}},
        yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
        series: [{name: ontime.series_name, type: "bar", data: rates, itemStyle: {color: "#b71c1c"}, label: {show: true, position: "top", formatter: "{c}%"}}]
      });
    };
    bar("chart-departments", ontime.departments, ontime.department_rates);
    bar("chart-items", ontime.items, ontime.item_rates);
  }

  // Horizontal bars, so that long county and tier names stay readable on a phone; a bar opens the talent
  // list filtered to exactly the talents it counts (the same links are listed under the chart).
  var talents = embedded("talent-chart-data");
  var talentsElement = document.getElementById("chart-talents");
  if (talents && talentsElement) {
    talentsElement.style.height = Math.max(160, 44 * talents.labels.length + 40) + "px";  // a bar per row
    var chart = draw("chart-talents", {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      grid: {left: 8, right: 48, top: 8, bottom: 8, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: talents.labels, inverse: true, axisLabel: {interval: 0}},
      series: [{name: talents.series, type: "bar", data: talents.values, itemStyle: {color: "#b71c1c"}, label: {show: true, position: "right"}, cursor: "pointer"}]
    });
    if (chart) {
      chart.on("click", function (params) {
        var link = talents.links[params.dataIndex];
        if (link) { window.location.assign(link); }
      });
    }
  }
})();
