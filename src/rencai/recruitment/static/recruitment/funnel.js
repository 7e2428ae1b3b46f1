/* The recruitment funnel's charts (ECharts, vendored) from the data the page embeds (json_script
   "funnel-chart-data"): the stages as a funnel, referrals and arrivals by channel and by county. Every figure
   is also in the page's tables; without JavaScript the tables are the report. */
(function () {
  var source = document.getElementById("funnel-chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element);
    option.animation = !still;
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  draw("chart-funnel", {
    tooltip: {trigger: "item", formatter: "{b}: {c}"},
    series: [{type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "8%", gap: 2,
      label: {show: true, position: "inside", formatter: "{b} {c}"},
      data: data.stages}]
  });

  function bars(id, table) {
    if (!table.labels.length) { return; }
    draw(id, {
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 0},
      grid: {left: 8, right: 24, top: 32, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: table.labels, axisLabel: {interval: 0, rotate: table.labels.length > 4 ? 30 : 0}},
      yAxis: {type: "value", minInterval: 1},
      series: [
        {name: data.series.referrals, type: "bar", data: table.referrals, itemStyle: {color: "#9e9e9e"}},
        {name: data.series.arrivals, type: "bar", data: table.arrivals, itemStyle: {color: "#b71c1c"}, label: {show: true, position: "top"}}
      ]
    });
  }
  bars("chart-channel", data.channel);
  bars("chart-county", data.county);
})();
