// Simulation charts: qualifying counts and cost, current version vs draft, by county and by tier.
(function () {
  const source = document.getElementById("simulation-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const labels = data.labels;
  function bars(elementId, group, currentKey, draftKey, unit) {
    const element = document.getElementById(elementId);
    if (!element) return;
    const chart = echarts.init(element);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [labels.current, labels.draft] },
      grid: { left: 60, right: 20, bottom: 40, top: 40 },
      xAxis: { type: "category", data: group.labels, axisLabel: { interval: 0 } },
      yAxis: { type: "value", name: unit },
      series: [
        { name: labels.current, type: "bar", data: group[currentKey].map(Number), itemStyle: { color: "#9aa5b1" } },
        { name: labels.draft, type: "bar", data: group[draftKey].map(Number), itemStyle: { color: "#c8161d" } },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
  }
  bars("chart-region-count", data.by_region, "current", "draft", labels.count);
  bars("chart-tier-count", data.by_tier, "current", "draft", labels.count);
  bars("chart-region-cost", data.by_region, "current_cost", "draft_cost", labels.cost);
  bars("chart-tier-cost", data.by_tier, "current_cost", "draft_cost", labels.cost);
})();
