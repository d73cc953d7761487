// PURE. The page's stylesheet (inline: the report opens without a network).
export const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1248px; margin: 0 auto; padding: 20px 24px 48px; }
header h1 { font-size: 22px; margin: 0 0 12px; display: flex; align-items: center; gap: 12px; }
h2 { font-size: 15px; margin: 0 0 4px; }
h3 { font-size: 14px; margin: 12px 0 4px; }
code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eff1f3; padding: 1px 5px; border-radius: 4px; }
.meta { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px 24px; margin: 0 0 14px; }
.meta div { min-width: 0; }
.meta dt { color: var(--muted); font-size: 12px; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 16px; }
.stat { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 110px; }
.stat .num { display: block; font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.stat .label { color: var(--muted); font-size: 12px; }
.stat.ok .num { color: #2b8a3e; } .stat.fail .num { color: #c92a2a; } .stat.unknown .num { color: #d9480f; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px 8px; margin-bottom: 12px; }
.panel.bad { border-color: #ffa8a8; }
.group-head { margin-bottom: 4px; padding-bottom: 10px; }
.note { color: var(--muted); margin: 0 0 6px; font-size: 12.5px; }
.empty { color: var(--muted); font-style: italic; }
svg.chart { display: block; width: 100%; height: auto; font-size: 11px; }
svg .grid { stroke: #eaeef2; stroke-width: 1; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .row-label { fill: var(--fg); font-size: 12px; }
svg .fault rect { fill: #ff8787; stroke: #e03131; stroke-width: 1; }
svg .fault.open rect { fill: #ffc9c9; stroke-dasharray: 4 2; }
svg .fault text { fill: #1f2328; font-size: 11.5px; }
svg .in-bar { fill: #fff; font-size: 11px; font-weight: 600; }
svg .dots { fill: none; stroke-width: 3.2; stroke-linecap: round; }
svg .unknown-lines { fill: none; stroke-width: 1; stroke-opacity: .35; }
svg .strip { fill: #fff8f0; }
svg .bars rect { shape-rendering: crispEdges; }
svg .series { fill: none; stroke-width: 1.8; stroke-linejoin: round; stroke-linecap: round; }
svg .vop text { fill: var(--fg); font: 11.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
svg .vop.open rect { fill-opacity: .45; stroke: #f08c00; stroke-dasharray: 4 2; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 2px 0 6px; font-size: 12.5px; }
.swatch i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.fault-list { list-style: none; margin: 4px 0 6px; padding-left: 4px; font-size: 12.5px; columns: 2; column-gap: 32px; }
.fault-list li { break-inside: avoid; margin-bottom: 2px; }
.fault-list .when { color: var(--muted); font-variant-numeric: tabular-nums; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12px; font-weight: 600; vertical-align: middle; }
.badge.good { background: #d3f9d8; color: #2b8a3e; } .badge.bad { background: #ffe3e3; color: #c92a2a; } .badge.unknown { background: #fff3bf; color: #a0510a; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 4px 0 8px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; overflow-wrap: anywhere; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
.violation { border-top: 1px solid #ffc9c9; padding-top: 6px; }
.explanation { margin: 2px 0 8px; }
footer { color: var(--muted); font-size: 12px; margin-top: 16px; }
`;
