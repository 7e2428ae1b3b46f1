/* The service dashboard's on-time charts (ECharts, from the data the page embeds as JSON). */
(function () {
  var data = JSON.parse(document.getElementById("ontime-data").textContent);
  function bar(id, names, rates) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) { return; }
    var chart = echarts.init(element);
    chart.setOption({
      tooltip: {trigger: "axis"},
      grid: {left: 40, right: 16, bottom: 60, top: 24},
      xAxis: {type: "category", data: names, axisLabel: {interval: 0, rotate: names.length > 4 ? 30 : 0}},
      yAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
      series: [{name: data.series_name, type: "bar", data: rates, itemStyle: {color: "#b71c1c"}, label: {show: true, position: "top", formatter: "{c}%"}}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  bar("chart-departments", data.departments, data.department_rates);
  bar("chart-items", data.items, data.item_rates);
})();
